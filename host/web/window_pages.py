"""窗口页面: today's timeline and the month so far; staff of that window pause/resume/prompt,
report a fault, and record the 整改 of their window's bad reviews (差评, issue 16)."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from host import commands, faults, fleet, labels
from host.auth import policy
from host.auth.roles import Role
from host.clock import Clock, local
from host.errors import ServiceError
from host.goodbad import cases
from host.models.commands import Command
from host.models.events import Event
from host.models.liveness import ModeInterval, PowerInterval
from host.rules.calendar import CalendarMissing
from host.scoring.months import month_view
from host.scoring.view import view_json
from host.web.board import day_start_ms, snapshot
from host.web.core import DB, ClockDep, PageForbidden, Viewer, action, back, fmt_time, page, render

log = logging.getLogger(__name__)
router = APIRouter()

DAY_MS = 86_400_000
WINDOW_READERS = policy.EVERYONE
# What a window's staff may do from their desk: what their pad's keys do (host.api.routes.commands).
DESK_COMMANDS = ("prompt", "pause", "resume")
# What the window's staff record on its bad-review cases (回访 and 结案 are the management section's).
CASE_STEPS = {"rectify": "整改", "evidence": "备注"}


def desk_actions(state: str) -> tuple[str, ...]:
    """The commands that make sense for a pad in ``state``: an offline pad takes none (it would not
    hear them); a paused pad can only be resumed; a prompt is already showing while prompting."""
    return {"serving": ("prompt", "pause"), "prompt": ("pause",), "paused": ("resume",),
            }.get(state, ())


def timeline(
    session: Session, device_ids: list[str], window_id: int, start: int, end: int, now: int
) -> list[dict[str, Any]]:
    """Today's facts in time order: power on/off, modes (pauses, prompts), ratings, commands."""
    items: list[dict[str, Any]] = []
    for p in session.exec(
        select(PowerInterval).where(
            col(PowerInterval.device_id).in_(device_ids),
            col(PowerInterval.start_ms) < end,
            (col(PowerInterval.end_ms).is_(None)) | (col(PowerInterval.end_ms) > start),
        )
    ):
        items.append(
            {
                "at": max(p.start_ms, start),
                "kind": "power",
                "text": f"评价器{labels.POWER.get(p.state, p.state)}"
                + (f"（{labels.CAUSE.get(p.cause, p.cause)}）" if p.cause else ""),
                "until": p.end_ms,
            }
        )
    for m in session.exec(
        select(ModeInterval).where(
            col(ModeInterval.device_id).in_(device_ids),
            col(ModeInterval.start_ms) < end,
            (col(ModeInterval.end_ms).is_(None)) | (col(ModeInterval.end_ms) > start),
        )
    ):
        items.append(
            {
                "at": max(m.start_ms, start),
                "kind": "mode",
                "text": labels.STATE.get(m.mode, m.mode),
                "until": m.end_ms,
            }
        )
    for e in session.exec(
        select(Event)
        .where(Event.window_id == window_id, col(Event.at_ms) >= start, col(Event.at_ms) < end)
        .where(col(Event.type).in_(("eval", "prompt", "pause", "resume")))
    ):
        if e.type == "eval":
            text = "评价：" + labels.RATING.get(e.rating or "", e.rating or "?")
        else:
            text = {"prompt": "提示评价", "pause": "暂停服务", "resume": "恢复服务"}[e.type]
        items.append(
            {
                "at": e.at_ms,
                "kind": e.type,
                "text": text + (f"（业务号 {e.svc}）" if e.svc else ""),
                "until": None,
            }
        )
    for c in session.exec(
        select(Command).where(
            col(Command.device_id).in_(device_ids),
            col(Command.created_ms) >= start,
            col(Command.created_ms) < end,
        )
    ):
        items.append(
            {
                "at": c.created_ms,
                "kind": "command",
                "text": f"网页指令：{labels.COMMAND.get(c.type, c.type)}（{c.created_by}，"
                f"{labels.COMMAND_STATUS.get(st := commands.status(c, now), st)}）",
                "until": None,
            }
        )
    items.sort(key=lambda i: i["at"])
    return items


def _month_json(session: Session, clock: Clock, window_id: int) -> tuple[dict[str, Any] | None, str | None]:
    month = local(clock.now_ms()).strftime("%Y-%m")
    try:
        view = view_json(month_view(session, month, clock, [window_id]))
    except CalendarMissing as exc:
        return None, f"缺少工作日历数据：{exc}（请在“配置”页面声明该年度日历）"
    return (view["windows"][0] if view["windows"] else None), None


@router.get("/windows/mine", include_in_schema=False)
def my_window(session: DB, viewer: Annotated[Viewer, Depends(page(*policy.OWN_WINDOW))]) -> Response:
    number = fleet.window_number(session, viewer.principal.window_id)
    return RedirectResponse(f"/windows/{number}" if number else "/board", status_code=303)


@router.get("/windows/{number}", response_class=HTMLResponse, include_in_schema=False)
def window_page(
    number: str,
    request: Request,
    session: DB,
    clock: ClockDep,
    viewer: Annotated[Viewer, Depends(page(*WINDOW_READERS))],
) -> HTMLResponse:
    win = fleet.get_window(session, number)
    assert win.id is not None
    if viewer.role is Role.STAFF and viewer.principal.window_id != win.id:
        raise PageForbidden("窗口工作人员只能查看本窗口的页面。")
    now = clock.now_ms()
    start = day_start_ms(now)
    pad = fleet.current_device(session, win)
    devices = [pad.device_id] if pad else []
    live = snapshot(session, clock, win.id)
    show_month = viewer.can(*policy.MONTH_SCORES)
    month, month_err = _month_json(session, clock, win.id) if show_month else (None, None)
    own = viewer.role is not Role.STAFF or viewer.principal.window_id == win.id   # staff: their window only
    can_rectify = viewer.can(*policy.RECTIFY) and own
    open_cases = cases.unfinished(session, win.id) if can_rectify else []
    today = local(now).date()
    return render(
        request,
        "window.html",
        viewer,
        win=win,
        pad=pad,
        live=live[0] if live else None,
        items=timeline(session, devices, win.id, start, start + DAY_MS, now),
        month=month,
        month_err=month_err,
        show_month=show_month,
        can_act=bool(pad) and viewer.may_act_on(win.id),
        actions=desk_actions(live[0]["state"] if live else "unconfigured"),
        can_report=own,
        can_rectify=can_rectify,
        cases=open_cases,
        late={c.id: cases.lateness(c, today) for c in open_cases},
        today=fmt_time(now, "%Y-%m-%d"),
    )


@router.post("/windows/{number}/commands", include_in_schema=False)
def desk_command(
    number: str,
    request: Request,
    session: DB,
    clock: ClockDep,
    kind: Annotated[str, Form()],
    viewer: Annotated[Viewer, Depends(action(*policy.PAD_COMMANDS))],
    svc: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """暂停服务/恢复服务/提示评价 from the browser, as the pad's own keys would (audited)."""
    url = f"/windows/{number}"
    win = fleet.get_window(session, number)
    if not viewer.may_act_on(win.id):
        raise PageForbidden("窗口工作人员只能操作本窗口的评价器。")
    if kind not in DESK_COMMANDS:
        return back(url, err=f"不支持的操作：{kind}")
    pad = fleet.current_device(session, win)
    if pad is None:
        return back(url, err="该窗口没有配置评价器。")
    live = snapshot(session, clock, win.id)
    state = live[0]["state"] if live else "offline"
    if kind not in desk_actions(state):
        return back(url, err=f"评价器当前为“{labels.STATE.get(state, state)}”，不能{labels.COMMAND[kind]}。"
                             "请刷新页面，按页面上显示的操作进行。")
    fields: dict[str, Any] = {}
    if kind == "prompt":
        if not svc.strip():
            return back(url, err="提示评价需要填写业务号。")
        fields["svc"] = svc.strip()
    elif reason.strip():
        fields["reason"] = reason.strip()
    try:
        commands.send_command(
            session,
            device_id=pad.device_id,
            kind=kind,
            fields=fields,
            clock=clock,
            publish=request.app.state.publish,
            actor=viewer.principal.actor,
            prefix=request.app.state.settings.mqtt_prefix,
        )
    except ServiceError as exc:
        return back(url, err=f"指令未发送：{exc.detail}")
    return back(url, ok=f"已向评价器发送“{labels.COMMAND[kind]}”指令。")


@router.post("/windows/{number}/faults", include_in_schema=False)
def report_fault(
    number: str,
    session: DB,
    clock: ClockDep,
    detail: Annotated[str, Form()],
    viewer: Annotated[Viewer, Depends(action(*WINDOW_READERS))],
) -> Response:
    """报修: anyone who may see the window reports a problem with its pad to the IT section (R7)."""
    url = f"/windows/{number}"
    win = fleet.get_window(session, number)
    if viewer.role is Role.STAFF and viewer.principal.window_id != win.id:
        raise PageForbidden("窗口工作人员只能为本窗口报修。")
    text = " ".join(detail.split())
    if not text:
        return back(url, err="请写明故障现象。")
    pad = fleet.current_device(session, win)
    row = faults.report_fault(session, by=viewer.principal.actor, detail=text, now_ms=clock.now_ms(),
                              device_id=pad.device_id if pad else None, window_id=win.id)
    return back(url, ok=f"已报修（报修记录 #{row.id}），信息技术科将尽快处理。")


@router.post("/windows/{number}/badreviews/{case_id}", include_in_schema=False)
def case_step(
    number: str,
    case_id: int,
    session: DB,
    clock: ClockDep,
    step: Annotated[str, Form()],
    text: Annotated[str, Form()],
    viewer: Annotated[Viewer, Depends(action(*policy.RECTIFY))],
) -> Response:
    """整改 or a note on one of this window's 差评 cases, from the window page (audited, R12)."""
    url = f"/windows/{number}#badreviews"
    win = fleet.get_window(session, number)
    if viewer.role is Role.STAFF and viewer.principal.window_id != win.id:
        raise PageForbidden("窗口工作人员只能处理本窗口的差评。")
    if step not in CASE_STEPS:
        return back(url, err="没有这一步骤。")
    try:
        case = cases.get_case(session, case_id)
        if case.window_id != win.id:
            return back(url, err=f"差评工单 {case_id} 不属于窗口 {number}。")
        if step == "rectify":
            cases.rectify(session, clock, case_id, action=text, by=viewer.principal.actor)
        else:
            cases.add_evidence(session, clock, case_id, text=text, by=viewer.principal.actor)
    except ServiceError as exc:
        return back(url, err=f"{CASE_STEPS[step]}未记录：{exc.detail}")
    return back(url, ok=f"已记录差评工单 {case_id} 的{CASE_STEPS[step]}，管理科将据此结案。")

"""信息技术科: the repair log (报修记录) with its lifecycle (R7), the pad fleet, rejected messages,
and provisioning a pad (its broker password shown once)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import col, select

from host import corrections, exports, faults, fleet, labels
from host.api.download import download
from host.api.params import Id
from host.auth import policy
from host.broker import accounts
from host.clock import Clock, local, parse_time
from host.errors import ServiceError
from host.faults.log import STATUS_CHINESE, VERDICT_CHINESE, VERDICTS
from host.ingest.replay import replay_request
from host.labels import ROLLOUT_STATE_CHINESE, UPDATE_STATE_CHINESE
from host.models.events import EventConflict, RejectedMessage
from host.models.liveness import DeviceStatus
from host.releases import rollout
from host.web.core import DB, ClockDep, Viewer, action, back, page, render

log = logging.getLogger(__name__)
router = APIRouter(prefix="/it")

Reader = Annotated[Viewer, Depends(page(*policy.FLEET))]
Worker = Annotated[Viewer, Depends(action(*policy.FLEET))]
REJECTED_SHOWN = 200  # the newest; the CLI and API page through the rest
CORRECTIONS_SHOWN = 20


@router.get("/faults", response_class=HTMLResponse, include_in_schema=False)
def fault_log(request: Request, session: DB, viewer: Reader, status: str = "") -> HTMLResponse:
    rows = faults.list_faults(session, status=status or None)[::-1]
    return render(
        request,
        "it/faults.html",
        viewer,
        rows=rows,
        status=status,
        numbers=fleet.window_numbers(session),
        statuses=STATUS_CHINESE,
        verdicts=VERDICTS,
        verdict_zh=VERDICT_CHINESE,
    )


@router.get("/faults/export.{fmt}", include_in_schema=False)
def fault_export(fmt: str, session: DB, viewer: Reader) -> Response:
    """报修记录导出: the whole log, CSV or printable Excel (Chinese headers)."""
    if fmt not in ("csv", "xlsx"):
        return back("/it/faults", err="不支持的导出格式。")
    write = exports.fault_log_csv if fmt == "csv" else exports.fault_log_xlsx
    return download(write(faults.list_faults(session), fleet.window_names(session)), fmt, "faults")


@router.post("/faults/{fault_id}/{step}", include_in_schema=False)
def fault_step(
    fault_id: Id,
    step: str,
    session: DB,
    clock: ClockDep,
    viewer: Worker,
    assignee: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    verdict: Annotated[str, Form()] = "",
) -> Response:
    """受理 (acknowledge + assign), 处理结论 (resolve with a verdict and notes), 更正结论 (reclassify)."""
    by, now = viewer.principal.actor, clock.now_ms()
    try:
        if step == "ack":
            faults.acknowledge(
                session, fault_id, by=by, now_ms=now, assignee=assignee.strip() or None, note=note.strip()
            )
        elif step == "resolve":
            if not note.strip():
                return back("/it/faults", err="填写处理结论时必须写明维修记录。")
            faults.resolve(session, fault_id, by=by, verdict=verdict, notes=note.strip(), now_ms=now)
        elif step == "reclassify":
            if not note.strip():
                return back("/it/faults", err="更正结论必须写明原因。")
            faults.reclassify(session, fault_id, by=by, verdict=verdict, reason=note.strip(), now_ms=now)
        else:
            return back("/it/faults", err="未知的操作。")
    except ServiceError as exc:
        return back("/it/faults", err=f"操作未完成：{exc.detail}")
    return back("/it/faults", ok=f"报修记录 #{fault_id} 已更新。")


@router.get("/devices", response_class=HTMLResponse, include_in_schema=False)
def device_fleet(request: Request, session: DB, viewer: Reader) -> HTMLResponse:
    return _devices_page(request, session, viewer)


def _devices_page(request: Request, session: DB, viewer: Viewer, **extra: object) -> HTMLResponse:
    views = fleet.list_devices(session, include_retired=False)
    status = {s.device_id: s for s in session.exec(select(DeviceStatus))}
    context: dict = {"credentials": None, "preview": None, "form": {}, **extra}
    return render(
        request,
        "it/devices.html",
        viewer,
        views=views,
        status=status,
        windows=fleet.list_windows(session),
        corrections=corrections.list_corrections(session, limit=CORRECTIONS_SHOWN),
        **_updates(session),
        **context,
    )


def _updates(session: DB) -> dict:
    """The newest rollout and each pad's part in it, for the fleet page (程序更新)."""
    prog = rollout.progress(session)
    parts = {p.device_id: p for p, _ in prog.pads} if prog is not None else {}
    return {"rollout": prog.rollout if prog is not None else None, "updates": parts,
            "update_zh": UPDATE_STATE_CHINESE, "rollout_zh": ROLLOUT_STATE_CHINESE}


@router.post("/devices", response_class=HTMLResponse, include_in_schema=False)
def provision(
    request: Request,
    session: DB,
    clock: ClockDep,
    viewer: Worker,
    device_id: Annotated[str, Form()],
    label: Annotated[str, Form()] = "",
    window: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """登记评价器: register the pad and create its broker account; the password is shown once."""
    settings = request.app.state.settings
    broker_dir = settings.data_dir / "broker"
    device_id = device_id.strip()
    try:
        _, password = fleet.register_pad(session, device_id=device_id, label=label.strip(),
                                         window_number=window or None, clock=clock,
                                         actor=viewer.principal.actor, reason=reason.strip(),
                                         broker_dir=broker_dir, prefix=settings.mqtt_prefix)
    except ServiceError as exc:
        session.rollback()
        return back("/it/devices", err=f"登记未完成：{exc.detail}")
    resp = _devices_page(
        request,
        session,
        viewer,
        credentials={"username": device_id, "password": password,
                     "note": accounts.pending_note(broker_dir, external=bool(settings.mqtt_url))},
    )
    resp.headers["Cache-Control"] = "no-store"  # the password must not linger in a cache
    return resp


@router.get("/rejected", response_class=HTMLResponse, include_in_schema=False)
def rejected(request: Request, session: DB, viewer: Reader, code: str = "", device: str = "",
             show: str = "pending") -> HTMLResponse:
    """拒收消息: what the host kept aside (raw bytes and reason), newest first; conflicts beside."""
    q = select(RejectedMessage).order_by(col(RejectedMessage.received_ms).desc()).limit(REJECTED_SHOWN)
    if code:
        q = q.where(col(RejectedMessage.code) == code)
    if device:
        q = q.where(col(RejectedMessage.device_id) == device.strip())
    if show != "all":
        q = q.where(col(RejectedMessage.replayed_ms).is_(None))
    conflicts = session.exec(select(EventConflict).order_by(col(EventConflict.id).desc())
                             .limit(REJECTED_SHOWN)).all()
    return render(request, "it/rejected.html", viewer, rows=session.exec(q).all(), conflicts=conflicts,
                  code=code, device=device, show=show, codes=labels.REJECT_CODE)


@router.post("/rejected/replay", include_in_schema=False)
def replay_rejected(request: Request, clock: ClockDep, viewer: Worker,
                    ids: Annotated[list[int] | None, Form()] = None,
                    reason: Annotated[str, Form()] = "") -> Response:
    """重放: the chosen messages once their cause is fixed (with what was fixed; audited, R12)."""
    if not ids:
        return back("/it/rejected", err="请先勾选要重放的消息。")
    if not reason.strip():
        return back("/it/rejected", err="重放必须写明修复了什么（记入审计）。")
    try:
        result = replay_request(request.app.state.engine, clock, viewer.principal.actor, ids=ids,
                                reason=reason, publish=request.app.state.publish,
                                prefix=request.app.state.settings.mqtt_prefix)
    except ServiceError as exc:
        return back("/it/rejected", err=f"重放未完成：{exc.detail}")
    still = "，".join(f"{labels.REJECT_CODE.get(c, c)} {n} 条" for c, n in sorted(result.still.items()))
    text = (f"已重放 {result.replayed} 条：新入库 {result.stored}，此前已入库 {result.duplicates}，"
            f"序号冲突 {result.conflicts}。" + (f"仍被拒收：{still}。" if still else "")
            + (f"跳过 {result.skipped} 条（不是事件或此前已重放）。" if result.skipped else ""))
    return back("/it/rejected", ok=text)


def _moves(pairs: list[tuple[str, str]]) -> list[corrections.Move]:
    return [corrections.Move(pad.strip(), win or None) for pad, win in pairs if pad.strip()]


def _correction_problem(at: str, reason: str, moves: list[corrections.Move], clock: Clock) -> str | None:
    """What is wrong with the form, in the section's own words (the service checks the rest)."""
    if not moves:
        return "请选择发生移动的评价器（对调时两台都填）。"
    if not reason.strip():
        return "更正分配记录必须写明原因（当时发生了什么），以备审计。"
    try:
        at_ms = parse_time(at)
    except ValueError:
        return "换装时间格式不对，请写成 2026-10-20 11:38:00 这样的北京时间。"
    if at_ms > clock.now_ms():
        return "换装时间不能晚于现在；从现在起的换装请直接用“分配窗口”。"
    return None


def correction_text(r: corrections.CorrectionResult) -> str:
    """One paragraph for the IT section: what the correction changed (or would, in a preview)."""
    c = r.correction
    moves = "、".join(f"{m['device']}→{m['window'] or '不在任何窗口'}" for m in c.moves)
    head = "预览（未保存）" if r.preview else f"已更正 #{c.id}"
    parts = [f"{head}：自 {local(c.at_ms):%Y-%m-%d %H:%M:%S} 起 {moves}"]
    if r.moved:
        parts.append("事件改记窗口：" + "，".join(f"{a}→{b} {n} 条" for (a, b), n in sorted(r.moved.items())))
    else:
        parts.append("没有已存事件需要改记")
    if r.unplaced:
        parts.append(f"{r.unplaced} 条事件此后不在任何窗口（不计入任何窗口）")
    for m in r.closed_months:
        parts.append(f"{m} 已关账：已反馈的报表不变，此更正列入该月迟到清单，重新开账后才计入")
    if r.review:
        parts.append("需管理科复核的已审核违规线索：" + "、".join(f"#{i}" for i in r.review))
    return "；".join(parts) + "。"


@router.post("/assignments/correct", response_class=HTMLResponse, include_in_schema=False)
def correct_assignment(
    request: Request,
    session: DB,
    clock: ClockDep,
    viewer: Worker,
    at: Annotated[str, Form()],
    reason: Annotated[str, Form()],
    device: Annotated[str, Form()] = "",
    window: Annotated[str, Form()] = "",
    device2: Annotated[str, Form()] = "",
    window2: Annotated[str, Form()] = "",
    preview: Annotated[str, Form()] = "",
) -> Response:
    """更正分配记录: a swap or exchange recorded at its real past time (R10), with a reason (R12)."""
    moves = _moves([(device, window), (device2, window2)])
    problem = _correction_problem(at, reason, moves, clock)
    if problem:
        return back("/it/devices", err=problem)
    try:
        r = corrections.correct(session, moves=moves, at_ms=parse_time(at), clock=clock,
                                actor=viewer.principal.actor, reason=reason, preview=bool(preview))
    except ServiceError as exc:
        session.rollback()
        fix = f"（{exc.fix}）" if exc.fix else ""
        return back("/it/devices", err=f"更正未完成：{exc.detail}{fix}")
    if r.preview:
        form = {"at": at, "reason": reason, "device": device, "window": window, "device2": device2,
                "window2": window2}
        return _devices_page(request, session, viewer, preview=correction_text(r), form=form)
    settings = request.app.state.settings
    done = corrections.settle(request.app.state.engine, r, clock, prefix=settings.mqtt_prefix,
                              publish=request.app.state.publish)
    tail = f"补入此前暂存的事件 {done.replayed} 条。" if done.replayed else ""
    return back("/it/devices", ok=correction_text(r) + tail)

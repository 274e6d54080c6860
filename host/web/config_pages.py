"""配置: windows and categories, pad assignments, the working calendar and window schedules (R5, R10).

Windows and calendars are the management section's (admin may stand in); assignments the IT
section's. Every change is made by the domain functions, which audit it (R12).
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from host import fleet
from host.auth import policy
from host.auth.passwords import MIN_PASSWORD_LEN
from host.auth.roles import Role
from host.auth.users import create_user, disable_user, list_users, reset_password
from host.calendar import config
from host.clock import parse_day
from host.errors import ServiceError
from host.web import goodbad_config
from host.web.core import DB, ClockDep, Viewer, action, back, page, render

log = logging.getLogger(__name__)
router = APIRouter(prefix="/config")

Reader = Annotated[Viewer, Depends(page(*policy.OVERSIGHT))]
WindowEditor = Annotated[Viewer, Depends(action(*policy.WINDOWS_EDIT))]
FleetEditor = Annotated[Viewer, Depends(action(*policy.FLEET))]
CATEGORIES = ("general", "police_traffic")
CALENDAR_SHOWN = 60           # the newest entries; `evalpad calendar show YEAR` lists a whole year


@router.get("", response_class=HTMLResponse, include_in_schema=False)
def overview(request: Request, session: DB, viewer: Reader) -> HTMLResponse:
    windows = fleet.list_windows(session, include_retired=True)
    pads = {w.id: fleet.current_device(session, w) for w in windows}
    return render(
        request,
        "config.html",
        viewer,
        windows=windows,
        pads=pads,
        devices=fleet.list_devices(session),
        categories=CATEGORIES,
        days=config.calendar_entries(session, newest=CALENDAR_SHOWN),
        years=config.declared_years(session),
        schedules={s.window_id: s for s in config.window_schedules(session)},
        window_days=config.window_days(session, newest=CALENDAR_SHOWN),
        numbers={w.id: w.number for w in windows},
        goodbad=goodbad_config.view(session),
    )


@router.post("/windows", include_in_schema=False)
def add_window(
    session: DB,
    clock: ClockDep,
    viewer: WindowEditor,
    number: Annotated[str, Form()],
    name: Annotated[str, Form()],
    department: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "general",
) -> Response:
    try:
        fleet.add_window(
            session,
            number=number.strip(),
            name=name.strip(),
            department=department.strip(),
            category=category,
            clock=clock,
            actor=viewer.principal.actor,
        )
    except ServiceError as exc:
        return back("/config", err=f"新增窗口未完成：{exc.detail}")
    return back("/config", ok=f"已新增窗口 {number}。")


@router.post("/assignments", include_in_schema=False)
def assign(
    session: DB,
    clock: ClockDep,
    viewer: FleetEditor,
    device_id: Annotated[str, Form()],
    window: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        fleet.assign(
            session,
            device_id=device_id,
            window_number=window,
            clock=clock,
            actor=viewer.principal.actor,
            reason=reason.strip(),
        )
    except ServiceError as exc:
        return back("/config", err=f"分配未完成：{exc.detail}")
    return back("/config", ok=f"评价器 {device_id} 已分配到窗口 {window}。")


@router.post("/calendar", include_in_schema=False)
def calendar_day(
    session: DB,
    clock: ClockDep,
    viewer: WindowEditor,
    day: Annotated[str, Form()],
    kind: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    """节假日/调休上班日: one date's entry (R5), or declaring a year's holidays entered."""
    try:
        if kind == "declare":
            config.declare_year(
                session, clock, int(day[:4]), by=viewer.principal.actor, reason=reason.strip()
            )
        else:
            working = {"working": True, "holiday": False, "clear": None}[kind]
            config.set_calendar_days(
                session,
                clock,
                [parse_day(day)],
                working,
                by=viewer.principal.actor,
                reason=reason.strip(),
            )
    except (ServiceError, ValueError, KeyError) as exc:
        return back("/config", err=f"日历未更新：{getattr(exc, 'detail', exc)}")
    return back("/config", ok="工作日历已更新。")


@router.post("/schedules", include_in_schema=False)
def schedule(
    session: DB,
    clock: ClockDep,
    viewer: WindowEditor,
    window: Annotated[str, Form()],
    noon_duty_weekdays: Annotated[list[str] | None, Form()] = None,
    saturday_spans: Annotated[str, Form()] = "",
    closed_weekdays: Annotated[list[str] | None, Form()] = None,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """窗口作息: the weekdays come as check boxes 周一…周日 (0 = 周一 inside, host.calendar.config)."""
    try:
        win = fleet.get_window(session, window)
        assert win.id is not None
        config.set_window_schedule(
            session,
            clock,
            win.id,
            noon_duty_weekdays=",".join(d.strip() for d in noon_duty_weekdays or () if d.strip()),
            saturday_spans=saturday_spans.strip(),
            closed_weekdays=",".join(d.strip() for d in closed_weekdays or () if d.strip()),
            by=viewer.principal.actor,
            reason=reason.strip(),
        )
    except (ServiceError, ValueError) as exc:
        return back("/config", err=f"作息未更新：{getattr(exc, 'detail', exc)}")
    return back("/config", ok=f"窗口 {window} 的作息已更新。")


# -- users (admin only; the first admin comes from `evalpad user add` on the server) ------------------

Admin = Annotated[Viewer, Depends(page(*policy.USERS))]
# The role list of a new account, least privilege first (the first is preselected): patrol reads
# the board and writes notes; admin may do everything.
ROLES_LEAST_FIRST = [Role.PATROL.value, Role.STAFF.value, Role.IT.value, Role.MANAGEMENT.value,
                     Role.ADMIN.value]
AdminAction = Annotated[Viewer, Depends(action(*policy.USERS))]


@router.get("/users", response_class=HTMLResponse, include_in_schema=False)
def users(request: Request, session: DB, viewer: Admin) -> HTMLResponse:
    windows = fleet.list_windows(session)
    return render(
        request,
        "users.html",
        viewer,
        users=list_users(session),
        windows=windows,
        numbers={w.id: w.number for w in windows},
        roles=ROLES_LEAST_FIRST,
    )


@router.post("/users", include_in_schema=False)
def add_user(
    session: DB,
    clock: ClockDep,
    viewer: AdminAction,
    name: Annotated[str, Form()],
    role: Annotated[str, Form()],
    password: Annotated[str, Form()],
    window: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """新增账号: a person with a password (no default password exists; the admin sets a first one)."""
    try:
        create_user(
            session,
            name=name.strip(),
            role=role,
            password=password,
            clock=clock,
            actor=viewer.principal.actor,
            window_number=window or None,
            reason=reason.strip(),
        )
    except ServiceError as exc:
        return back("/config/users", err=f"新增账号未完成：{exc.detail}")
    return back("/config/users", ok=f"已新增账号 {name.strip()}。")


@router.post("/users/{name}/reset", include_in_schema=False)
def reset(
    name: str,
    session: DB,
    clock: ClockDep,
    viewer: AdminAction,
    password: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """重置密码: a temporary password the admin hands over in person; the user's sessions end and
    their next sign-in must choose a new one (audited with the reason, R12)."""
    if len(password) < MIN_PASSWORD_LEN:
        return back("/config/users", err=f"临时密码至少需要 {MIN_PASSWORD_LEN} 位。")
    if not reason.strip():
        return back("/config/users", err="重置密码必须填写原因，如 本人来电申请并已核实身份。")
    try:
        reset_password(session, name, new=password, clock=clock, actor=viewer.principal.actor, reason=reason)
    except ServiceError as exc:
        return back("/config/users", err=f"重置未完成：{exc.detail}")
    return back("/config/users", ok=f"已重置 {name} 的密码：请当面告知临时密码，对方首次登录时须改为新密码。")


@router.post("/users/{name}/disable", include_in_schema=False)
def disable(
    name: str, session: DB, clock: ClockDep, viewer: AdminAction, reason: Annotated[str, Form()] = ""
) -> Response:
    """停用账号: every session and token of the user stops working at once."""
    try:
        disable_user(session, name, clock=clock, actor=viewer.principal.actor, reason=reason.strip())
    except ServiceError as exc:
        return back("/config/users", err=f"停用未完成：{exc.detail}")
    return back("/config/users", ok=f"已停用账号 {name}。")

"""管理科 · 减免: waivers of single deductions (R8), each with its written reason, and revoking one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from host import fleet, waivers
from host.api.params import Id, MonthForm, MonthQuery
from host.errors import ServiceError
from host.web.core import DB, ClockDep, back, render
from host.web.management.shared import Deciders, Reader, month_or_now

router = APIRouter(prefix="/management")


@router.get("/waivers", response_class=HTMLResponse, include_in_schema=False)
def waiver_list(
    request: Request, session: DB, clock: ClockDep, viewer: Reader, month: MonthQuery = None
) -> HTMLResponse:
    m = month_or_now(month, clock)
    return render(
        request,
        "management/waivers.html",
        viewer,
        month=m,
        rows=waivers.list_waivers(session, month=m, include_revoked=True),
        numbers=fleet.window_numbers(session),
    )


@router.post("/waivers", include_in_schema=False)
def waive(
    session: DB,
    clock: ClockDep,
    viewer: Deciders,
    window: Annotated[str, Form()],
    month: MonthForm,
    key: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    url = f"/management/windows/{window}?month={month}"
    if not reason.strip():
        return back(url, err="减免必须填写原因。")
    try:
        win = fleet.get_window(session, window)
        assert win.id is not None
        waivers.create_waiver(
            session,
            window_id=win.id,
            month=month,
            key=key,
            reason=reason.strip(),
            by=viewer.principal.actor,
            now_ms=clock.now_ms(),
        )
    except ServiceError as exc:
        return back(url, err=f"减免未完成：{exc.detail}")
    return back(url, ok="已减免该项扣分（原因已记录）。")


@router.post("/waivers/{waiver_id}/revoke", include_in_schema=False)
def unwaive(
    waiver_id: Id,
    session: DB,
    clock: ClockDep,
    viewer: Deciders,
    month: MonthForm,
    reason: Annotated[str, Form()] = "",
) -> Response:
    url = f"/management/waivers?month={month}"
    if not reason.strip():
        return back(url, err="撤销减免必须填写原因。")
    try:
        waivers.revoke_waiver(
            session, waiver_id, reason=reason.strip(), by=viewer.principal.actor, now_ms=clock.now_ms()
        )
    except ServiceError as exc:
        return back(url, err=f"撤销未完成：{exc.detail}")
    return back(url, ok="已撤销减免。")

"""管理科 · 减免: waivers of single deductions (R8), each with its written reason, and revoking one."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from host import fleet, waivers
from host.api.params import Id, MonthForm, MonthQuery
from host.errors import ServiceError
from host.rules.month_span import MONTH_PATTERN
from host.web.core import DB, ClockDep, back, render
from host.web.management.shared import Deciders, Reader, month_or_now

router = APIRouter(prefix="/management")
MONTH_RE = re.compile(MONTH_PATTERN)


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


@router.post("/waivers/bulk", include_in_schema=False)
async def waive_many(request: Request, session: DB, clock: ClockDep, viewer: Deciders) -> Response:
    """减免选中的扣分: one written reason for several deductions of one window's month (R8); each
    is still its own waiver with its own audit entry (host.waivers.create_waivers)."""
    form = await request.form()
    window, month, reason = (str(form.get(k, "")).strip() for k in ("window", "month", "reason"))
    keys = [str(k) for k in form.getlist("key")]
    url = f"/management/windows/{window}?month={month}" if MONTH_RE.match(month) else "/management"
    if not keys:
        return back(url, err="请先勾选要减免的扣分项。")
    if not reason:
        return back(url, err="减免必须填写原因（所有勾选的扣分项共用这一原因）。")
    try:
        win = fleet.get_window(session, window)
        assert win.id is not None
        rows = waivers.create_waivers(session, window_id=win.id, month=month, keys=keys, reason=reason,
                                      by=viewer.principal.actor, now_ms=clock.now_ms())
    except ServiceError as exc:
        return back(url, err=f"减免未完成，未减免任何一项：{exc.detail}")
    return back(url, ok=f"已减免 {len(rows)} 项扣分（原因已逐项记录）。")


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

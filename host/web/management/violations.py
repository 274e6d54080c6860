"""管理科 · 违规审核: the R6 candidates to confirm or dismiss (with reasons, R12), open floods of
evaluations, and detection run on demand."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from host import fleet, violations
from host.api.params import Id, MonthForm, MonthQuery
from host.errors import ServiceError
from host.faults.flood import open_floods
from host.rules import violations as rules
from host.rules.calendar import CalendarMissing
from host.rules.month_span import MONTH_PATTERN
from host.web.core import DB, ClockDep, back, render
from host.web.management.shared import Deciders, Reader, month_or_now

router = APIRouter(prefix="/management")


@router.get("/violations", response_class=HTMLResponse, include_in_schema=False)
def violation_queue(
    request: Request,
    session: DB,
    clock: ClockDep,
    viewer: Reader,
    month: MonthQuery = None,
    status: str = "open",
) -> HTMLResponse:
    m = month_or_now(month, clock)
    rows = violations.list_candidates(session, month=m, status=status or None)
    return render(
        request,
        "management/violations.html",
        viewer,
        month=m,
        status=status,
        rows=rows,
        floods=open_floods(session),
        unjudged=violations.unjudged_sessions(session, m, now_ms=clock.now_ms()),
        sweep=sweep_status(request),
        numbers=fleet.window_numbers(session),
        points=violations_points(),
    )


def sweep_status(request: Request) -> dict[str, Any]:
    """Whether this host runs detection by itself (the serve loop's Sweeper) and when it last ran."""
    sweeper = getattr(request.app.state, "sweeper", None)
    if sweeper is None:
        return {"running": False}
    last = sweeper.last
    return {"running": True, "interval_min": max(1, round(sweeper.interval_s / 60)),
            "last_ms": sweeper.last_ms, "added": last.candidates_added if last is not None else None}


def violations_points() -> dict[str, str]:
    return {k: f"{float(v):g}" for k, v in rules.POINTS.items()}


@router.post("/violations/detect", include_in_schema=False)
def detect(session: DB, clock: ClockDep, viewer: Deciders, month: MonthForm) -> Response:
    url = f"/management/violations?month={month}"
    try:
        done = violations.detect_month(session, month, now_ms=clock.now_ms())
    except (ServiceError, CalendarMissing, ValueError) as exc:
        return back(url, err=f"检测未完成：{getattr(exc, 'detail', exc)}")
    added = sum(r.added for r in done.results.values())
    return back(url, ok=f"检测完成：新增 {added} 条待审核线索。")


@router.post("/violations/{candidate_id}/{decision}", include_in_schema=False)
def decide(
    candidate_id: Id,
    decision: str,
    session: DB,
    clock: ClockDep,
    viewer: Deciders,
    reason: Annotated[str, Form()] = "",
    month: Annotated[str | None, Form(pattern=MONTH_PATTERN)] = None,
) -> Response:
    """确认/驳回 a candidate, with a reason (R6, R12)."""
    url = "/management/violations" + (f"?month={month}" if month else "")
    if decision not in ("confirm", "dismiss"):
        return back(url, err="未知的审核决定。")
    if not reason.strip():
        return back(url, err="审核必须填写理由。")
    fn = violations.confirm if decision == "confirm" else violations.dismiss
    try:
        fn(
            session,
            candidate_id,
            reviewer=viewer.principal.actor,
            reason=reason.strip(),
            now_ms=clock.now_ms(),
        )
    except ServiceError as exc:
        return back(url, err=f"审核未完成：{exc.detail}")
    return back(
        url, ok=f"线索 #{candidate_id} 已{'确认，扣分计入报表' if decision == 'confirm' else '驳回'}。"
    )

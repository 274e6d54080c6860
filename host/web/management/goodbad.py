"""管理科 · 好差评: the month's national rates (满意率, 差评率, 回访率, 整改率), the bad-review
cases (差评工单) with their steps (回访, 整改, notes, closure), overdue cases and the live alerts
(issue 16). Every step is the service's, audited (R12)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from host import fleet
from host.api.download import download
from host.api.params import DayQuery, Id, MonthQuery
from host.clock import Clock, local
from host.errors import ServiceError
from host.exports import platform
from host.exports.national import national_csv
from host.goodbad import alerts, cases
from host.rules.goodbad import NationalStats, percent
from host.rules.month_span import month_span
from host.scoring.facts import events_by_id
from host.scoring.national import month_national
from host.web.core import DB, ClockDep, back, render
from host.web.management.shared import Deciders, Reader, month_or_now

router = APIRouter(prefix="/management/goodbad")
STEPS = {"callback": "回访", "rectify": "整改", "evidence": "备注", "close": "结案"}


def _stats(name: str, s: NationalStats) -> dict[str, Any]:
    c = s.counts
    return {
        "name": name,
        "n": c.evaluations,
        "satisfied": c.satisfied,
        "bad": c.bad,
        "called_back": c.called_back,
        "rectified": c.rectified,
        "callback_late": c.callback_late,
        "rectify_late": c.rectify_late,
        "overdue": c.overdue,
        "satisfaction": percent(s.satisfaction_rate),
        "bad_rate": percent(s.bad_rate),
        "callback": percent(s.callback_rate),
        "rectify": percent(s.rectify_rate),
    }


def national_rows(session: Session, month: str, clock: Clock) -> dict[str, Any]:
    """The month's national rates for a page: per window (by number) and the center."""
    nat = month_national(session, month, clock.now_ms())
    names = {w.id: f"{w.number} {w.name}" for w in fleet.list_windows(session, include_retired=True)}
    rows = [_stats(names.get(w, str(w)), s) for w, s in nat.windows.items()]
    return {"windows": sorted(rows, key=lambda r: r["name"]), "center": _stats("全中心", nat.center)}


@router.get("", response_class=HTMLResponse, include_in_schema=False)
def overview(
    request: Request, session: DB, clock: ClockDep, viewer: Reader, month: MonthQuery = None
) -> HTMLResponse:
    m = month_or_now(month, clock)
    span = month_span(m)
    now = clock.now_ms()
    today = local(now).date()
    rows = cases.list_cases(session, since_ms=span.start_ms, until_ms=span.end_ms)
    overdue = cases.overdue_cases(session, now)
    return render(
        request,
        "management/goodbad.html",
        viewer,
        month=m,
        national=national_rows(session, m, clock),
        cases=rows,
        overdue=overdue,
        late={c.id: cases.lateness(c, today) for c in [*rows, *overdue]},
        alerts=alerts.recent(session, now),
        numbers=fleet.window_numbers(session),
    )


@router.get("/cases/{case_id}", response_class=HTMLResponse, include_in_schema=False)
def case_page(case_id: Id, request: Request, session: DB, clock: ClockDep, viewer: Reader) -> HTMLResponse:
    c = cases.get_case(session, case_id)
    ids = [c.event_id, *([c.reason_event_id] if c.reason_event_id else [])]
    return render(
        request,
        "management/goodbad_case.html",
        viewer,
        c=c,
        events=events_by_id(session, ids),
        late=cases.lateness(c, local(clock.now_ms()).date()),
        number=fleet.window_numbers(session).get(c.window_id, ""),
    )


@router.post("/cases/{case_id}/{step}", include_in_schema=False)
def step(
    case_id: Id, step: str, session: DB, clock: ClockDep, viewer: Deciders, text: Annotated[str, Form()] = ""
) -> Response:
    """回访, 整改, 备注 or 结案 on one case (the management section; staff rectify through the API)."""
    url = f"/management/goodbad/cases/{case_id}"
    if step not in STEPS:
        return back(url, err="没有这一步骤。")
    by = viewer.principal.actor
    try:
        if step == "callback":
            cases.call_back(session, clock, case_id, outcome=text, by=by)
        elif step == "rectify":
            cases.rectify(session, clock, case_id, action=text, by=by)
        elif step == "evidence":
            cases.add_evidence(session, clock, case_id, text=text, by=by)
        else:
            cases.close_case(session, clock, case_id, note=text, by=by)
    except ServiceError as exc:
        return back(url, err=f"{STEPS[step]}未记录：{exc.detail}")
    return back(url, ok=f"已记录{STEPS[step]}。")


@router.post("/alerts/{alert_id}/ack", include_in_schema=False)
def ack(alert_id: Id, session: DB, clock: ClockDep, viewer: Deciders) -> Response:
    try:
        alerts.acknowledge(session, alert_id, by=viewer.principal.actor, now_ms=clock.now_ms())
    except ServiceError as exc:
        return back("/management/goodbad", err=f"确认未完成：{exc.detail}")
    return back("/management/goodbad", ok="已确认该提醒。")


@router.get("/export/national.csv", include_in_schema=False)
def export(session: DB, clock: ClockDep, viewer: Reader, month: MonthQuery = None) -> Response:
    """好差评统计 CSV: the month's rates per window and for the center."""
    m = month_or_now(month, clock)
    names = {w.id: f"{w.number} {w.name}" for w in fleet.list_windows(session, include_retired=True) if w.id}
    return download(national_csv(month_national(session, m, clock.now_ms()), names), "csv", f"goodbad-{m}")


@router.get("/export/platform.{fmt}", include_in_schema=False)
def platform_export(fmt: str, session: DB, clock: ClockDep, viewer: Reader, month: MonthQuery = None,
                    day: DayQuery = None) -> Response:
    """上报平台数据: every evaluation of a month or a day (docs/platform-export.md), JSON or CSV."""
    try:
        data, name = platform.export(session, platform.day_or_month(month, day), fmt, clock.now_ms())
    except ServiceError as exc:
        return back("/management/goodbad", err=f"导出未完成：{exc.detail}（{exc.fix}）")
    media = "application/json" if fmt == "json" else "text/csv; charset=utf-8"
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})

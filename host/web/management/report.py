"""管理科 · 月度考核: the month's report, one window's month with the evidence behind each
deduction, month close/reopen (R11), and the report's exports (CSV, Excel)."""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlmodel import Session

from host import exports, fleet, violations, waivers
from host.api.download import download
from host.api.params import Month, MonthQuery
from host.clock import Clock, local
from host.errors import ServiceError
from host.exports.national import national_table
from host.rules.calendar import CalendarMissing
from host.scoring import facts
from host.scoring.facts import events_by_id
from host.scoring.months import close_month, history, month_view, reopen_month
from host.scoring.national import month_national
from host.web import svg
from host.web.core import DB, ClockDep, back, deduction_groups, render
from host.web.management.goodbad import national_rows
from host.web.management.shared import Deciders, Reader, month_or_now, months_before, report_json

router = APIRouter(prefix="/management")


@router.get("", response_class=HTMLResponse, include_in_schema=False)
def report(
    request: Request, session: DB, clock: ClockDep, viewer: Reader, month: MonthQuery = None
) -> HTMLResponse:
    """月度考核报表: every window's N, S, base, deductions and final for the month."""
    m = month_or_now(month, clock)
    view, err = report_json(session, m, clock)
    pending = len(violations.list_candidates(session, month=m, status="open"))
    return render(
        request,
        "management/report.html",
        viewer,
        month=m,
        view=view,
        view_err=err,
        prev=months_before(m),
        next=months_before(m, -1),
        history=history(session, m),
        pending=pending,
        national=national_rows(session, m, clock),  # 好差评 rates and overdue cases (issue 16)
        ranking=ranking_chart(view) if view else None,
        trend=trend_chart(session, clock, m, view),
    )


TREND_MONTHS = 12


def ranking_chart(view: dict[str, Any]) -> Markup:
    """The month's final scores as bars, best first; a window not rated (R9) says so."""
    rows = sorted(view["windows"], key=lambda r: (r["rank"] is None, r["rank"] or 0, r["window"]["number"]))
    return svg.ranking_bars([(f"{r['window']['number']} {r['window']['name']}",
                              float(Fraction(r["score"]["final"])) if r["score"]["rated"] else None,
                              r["score"]["final_shown"] if r["score"]["rated"] else "不参评（R9）")
                             for r in rows], 5.0)


def trend_chart(session: Session, clock: Clock, month: str, view: dict[str, Any] | None) -> Markup | None:
    """The hall over the 12 months up to ``month``: the mean final score of the rated windows and
    the satisfaction rate (S/N of all windows); months before the first evaluation are left out."""
    first = facts.first_evaluation_ms(session)
    if first is None:
        return None
    start = local(first).strftime("%Y-%m")
    months = [mm for mm in (months_before(month, n) for n in range(TREND_MONTHS - 1, -1, -1)) if mm >= start]
    if not months:
        return None
    score: list[float | None] = []
    sat: list[float | None] = []
    for mm in months:
        v = view if mm == month else report_json(session, mm, clock)[0]
        scores = [r["score"] for r in (v["windows"] if v else [])]
        finals = [float(Fraction(s["final"])) for s in scores if s["rated"]]
        n, s_ = sum(s["valid"] for s in scores), sum(s["satisfied"] for s in scores)
        score.append(round(sum(finals) / len(finals), 2) if finals else None)
        sat.append(round(5 * s_ / n, 2) if n else None)
    return svg.trend_lines(months, {"全厅平均最终得分": score, "满意率（折算为 5 分制）": sat}, 5.0, "分")


@router.get("/windows/{number}", response_class=HTMLResponse, include_in_schema=False)
def drilldown(
    number: str, request: Request, session: DB, clock: ClockDep, viewer: Reader, month: MonthQuery = None
) -> HTMLResponse:
    """One window's month with every deduction's evidence (the events behind it) and waivers."""
    m = month_or_now(month, clock)
    win = fleet.get_window(session, number)
    assert win.id is not None
    view, err = report_json(session, m, clock, [win.id])
    result = view["windows"][0] if view and view["windows"] else None
    ids = sorted({i for d in (result["score"]["deductions"] if result else []) for i in d["evidence"]})
    events = events_by_id(session, ids)
    return render(
        request,
        "management/window.html",
        viewer,
        month=m,
        win=win,
        view=view,
        view_err=err,
        result=result,
        events=events,
        groups=deduction_groups(result["score"]["deductions"] if result else []),
        waivers=waivers.list_waivers(session, window_id=win.id, month=m),
        unjudged=violations.unjudged_sessions(session, m, now_ms=clock.now_ms(), window_id=win.id),
    )



@router.post("/months/{month}/close", include_in_schema=False)
def close(
    month: Month, session: DB, clock: ClockDep, viewer: Deciders, reason: Annotated[str, Form()] = ""
) -> Response:
    url = f"/management?month={month}"
    try:
        close_month(session, month, clock, by=viewer.principal.actor, reason=reason)
    except (ServiceError, CalendarMissing, ValueError) as exc:
        return back(url, err=f"关账未完成：{getattr(exc, 'detail', exc)}")
    return back(url, ok=f"{month} 已关账，报表按此反馈各窗口。")


@router.post("/months/{month}/reopen", include_in_schema=False)
def reopen(
    month: Month, session: DB, clock: ClockDep, viewer: Deciders, reason: Annotated[str, Form()] = ""
) -> Response:
    url = f"/management?month={month}"
    if not reason.strip():
        return back(url, err="重新开账必须填写原因。")
    try:
        reopen_month(session, month, clock, by=viewer.principal.actor, reason=reason.strip())
    except ServiceError as exc:
        return back(url, err=f"重新开账未完成：{exc.detail}")
    return back(url, ok=f"{month} 已重新开账。")


@router.get("/export/{what}.{fmt}", include_in_schema=False)
def export(
    what: str, fmt: str, session: DB, clock: ClockDep, viewer: Reader, month: MonthQuery = None
) -> Response:
    """报表导出: the month report (with deductions) or the violation list, CSV or Excel."""
    m = month_or_now(month, clock)
    if fmt not in ("csv", "xlsx") or what not in ("report", "deductions", "violations"):
        return back("/management", err="不支持的导出格式。")
    if what == "violations":
        data, _ = violations.export_month(session, m, fmt, clock.now_ms())
        return download(data, fmt, f"violations-{m}")
    try:
        scores = [r.score for r in month_view(session, m, clock).results]
    except CalendarMissing as exc:
        return back(f"/management?month={m}", err=f"缺少工作日历数据：{exc}")
    if what == "deductions":
        if fmt != "csv":  # the Excel report already has a deductions sheet
            return back(f"/management?month={m}", err="扣分明细已包含在 Excel 报表中。")
        return download(
            exports.month_deductions_csv(scores, fleet.window_names(session), m), fmt, f"deductions-{m}"
        )
    if fmt == "xlsx":  # with the month's 好差评 rates as a third sheet (issue 16)
        names = fleet.window_names(session)
        rates = national_table(month_national(session, m, clock.now_ms()), names)
        return download(exports.month_report_xlsx(scores, names, m, rates), fmt, f"report-{m}")
    return download(exports.month_report_csv(scores, fleet.window_names(session), m), fmt, f"report-{m}")

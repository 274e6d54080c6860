"""管理科: the monthly report with its evidence, the violation review queue (R6), waivers (R8),
month close/reopen (R11), the volume import (R3), charts and exports.

Every change goes through the same domain functions as the REST API, so each is audited
with who, when and why (R12); the pages never edit a score.
"""

from __future__ import annotations

import logging
from fractions import Fraction
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import func
from sqlmodel import Session, col, select

from host import exports, fleet, violations, volume, waivers
from host.api.limits import MAX_UPLOAD_BODY_BYTES
from host.api.params import MONTH_PATTERN, Id, Month, MonthForm, MonthQuery
from host.api.routes.review_common import download, window_names, window_numbers
from host.auth import policy
from host.clock import Clock, local
from host.errors import ServiceError
from host.faults.flood import open_floods
from host.models.events import Event
from host.rules.calendar import CalendarMissing
from host.rules.month_span import parse_month
from host.scoring.months import close_month, history, month_view, reopen_month
from host.scoring.view import view_json
from host.volume.limits import MAX_FILE_BYTES
from host.web.core import DB, ClockDep, Viewer, action, back, page, render

log = logging.getLogger(__name__)
router = APIRouter(prefix="/management")

READERS = policy.MONTH_SCORES_ALL_WINDOWS   # every window's scores; deciding is policy.REVIEW
Reader = Annotated[Viewer, Depends(page(*READERS))]
Deciders = Annotated[Viewer, Depends(action(*policy.REVIEW))]
TREND_MONTHS = 6  # half a year of trend is what a monthly meeting looks at
HEATMAP_DAYS = 90  # a quarter of ratings: enough per weekday-hour cell to mean something


def this_month(clock: Clock) -> str:
    return local(clock.now_ms()).strftime("%Y-%m")


def _month(value: str | None, clock: Clock) -> str:
    """The month asked for (already checked: host.api.params), or this month if none was."""
    return value or this_month(clock)


def _prev(month: str, n: int = 1) -> str:
    y, m = parse_month(month)
    k = y * 12 + (m - 1) - n
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def _view(
    session: Session, month: str, clock: Clock, window_ids: list[int] | None = None
) -> tuple[dict[str, Any] | None, str | None]:
    try:
        return view_json(month_view(session, month, clock, window_ids)), None
    except CalendarMissing as exc:
        return None, f"缺少工作日历数据：{exc}（请在“配置”页面声明该年度的节假日日历）"


@router.get("", response_class=HTMLResponse, include_in_schema=False)
def report(
    request: Request, session: DB, clock: ClockDep, viewer: Reader, month: MonthQuery = None
) -> HTMLResponse:
    """月度考核报表: every window's N, S, base, deductions and final for the month."""
    m = _month(month, clock)
    view, err = _view(session, m, clock)
    pending = len(violations.list_candidates(session, month=m, status="open"))
    return render(
        request,
        "management/report.html",
        viewer,
        month=m,
        view=view,
        view_err=err,
        prev=_prev(m),
        next=_prev(m, -1),
        history=history(session, m),
        pending=pending,
    )


@router.get("/windows/{number}", response_class=HTMLResponse, include_in_schema=False)
def drilldown(
    number: str, request: Request, session: DB, clock: ClockDep, viewer: Reader, month: MonthQuery = None
) -> HTMLResponse:
    """One window's month with every deduction's evidence (the events behind it) and waivers."""
    m = _month(month, clock)
    win = fleet.get_window(session, number)
    assert win.id is not None
    view, err = _view(session, m, clock, [win.id])
    result = view["windows"][0] if view and view["windows"] else None
    ids = sorted({i for d in (result["score"]["deductions"] if result else []) for i in d["evidence"]})
    events = {e.id: e for e in session.exec(select(Event).where(col(Event.id).in_(ids)))} if ids else {}
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
        waivers=waivers.list_waivers(session, window_id=win.id, month=m),
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


# -- violations (R6) ---------------------------------------------------------------------------------


@router.get("/violations", response_class=HTMLResponse, include_in_schema=False)
def violation_queue(
    request: Request,
    session: DB,
    clock: ClockDep,
    viewer: Reader,
    month: MonthQuery = None,
    status: str = "open",
) -> HTMLResponse:
    m = _month(month, clock)
    rows = violations.list_candidates(session, month=m, status=status or None)
    return render(
        request,
        "management/violations.html",
        viewer,
        month=m,
        status=status,
        rows=rows,
        floods=open_floods(session),
        numbers=window_numbers(session),
        points=violations_points(),
    )


def violations_points() -> dict[str, str]:
    from host.rules import violations as rules

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


# -- waivers (R8) ------------------------------------------------------------------------------------


@router.get("/waivers", response_class=HTMLResponse, include_in_schema=False)
def waiver_list(
    request: Request, session: DB, clock: ClockDep, viewer: Reader, month: MonthQuery = None
) -> HTMLResponse:
    m = _month(month, clock)
    return render(
        request,
        "management/waivers.html",
        viewer,
        month=m,
        rows=waivers.list_waivers(session, month=m, include_revoked=True),
        numbers=window_numbers(session),
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


# -- volume import (R3) ------------------------------------------------------------------------------


@router.get("/volume", response_class=HTMLResponse, include_in_schema=False)
def volume_page(request: Request, session: DB, viewer: Reader) -> HTMLResponse:
    return render(
        request,
        "management/volume.html",
        viewer,
        report=None,
        errors=None,
        imports=volume.list_imports(session)[:20],
    )


@router.post("/volume", response_class=HTMLResponse, include_in_schema=False,
             max_body_size=MAX_UPLOAD_BODY_BYTES)
async def volume_upload(
    request: Request, file: UploadFile, viewer: Deciders, preview: Annotated[str, Form()] = ""
) -> HTMLResponse:
    """业务受理量导入: check (preview) or store a CSV/Excel file; any bad row: nothing stored.
    The file is read off the event loop (a threadpool), so the host keeps answering meanwhile."""
    data = await file.read(MAX_FILE_BYTES + 1)
    name = file.filename or "upload"
    if not data:
        return await run_in_threadpool(_volume_result, request, viewer, name, None, [], 0,
                                       "文件为空，请选择业务系统导出的 CSV 或 Excel 文件。", False)
    if len(data) > MAX_FILE_BYTES:
        too_big = f"文件超过 {MAX_FILE_BYTES // 1024 // 1024} MB，请按月份拆分后再导入。"
        return await run_in_threadpool(_volume_result, request, viewer, name, None, [], 0, too_big, False)
    return await run_in_threadpool(_import_file, request, viewer, name, data, bool(preview))


def _import_file(request: Request, viewer: Viewer, name: str, data: bytes, preview: bool) -> HTMLResponse:
    report, errors, total, problem = None, [], 0, None
    with Session(request.app.state.engine) as session:
        try:
            report = volume.import_volume(session, name, data, by=viewer.principal.actor,
                                          now_ms=request.app.state.clock.now_ms(), preview=preview)
            errors, total = report.errors, report.errors_total
        except volume.VolumeImportError as exc:
            errors, total = list(exc.errors), exc.errors_total
            problem = f"文件有错误，未导入任何数据：共 {total} 处错误，见下表。请在原文件中改正后重新上传。"
        except ServiceError as exc:
            problem = f"无法读取文件：{exc.detail}"
    return _volume_result(request, viewer, name, report, errors, total, problem, preview)


def _volume_result(request: Request, viewer: Viewer, name: str, report: Any, errors: list[Any], total: int,
                   problem: str | None, preview: bool) -> HTMLResponse:
    with Session(request.app.state.engine) as session:
        imports = volume.list_imports(session)[:20]
    return render(request, "management/volume.html", viewer, report=report, errors=errors or None,
                  errors_total=total, errors_shown=len(errors), problem=problem, filename=name,
                  preview=preview, imports=imports, status_code=422 if problem else 200)


# -- charts ------------------------------------------------------------------------------------------


@router.get("/charts", response_class=HTMLResponse, include_in_schema=False)
def charts(request: Request, clock: ClockDep, viewer: Reader, month: MonthQuery = None) -> HTMLResponse:
    return render(request, "management/charts.html", viewer, month=_month(month, clock))


def trends(session: Session, clock: Clock, month: str) -> dict[str, Any]:
    """Satisfaction (S/N) and final score per window for the months up to ``month``."""
    months = [_prev(month, n) for n in range(TREND_MONTHS - 1, -1, -1)]
    names = {w.id: w.number for w in fleet.list_windows(session)}
    sat: dict[str, list[float | None]] = {n: [] for n in names.values()}
    score: dict[str, list[float | None]] = {n: [] for n in names.values()}
    for m in months:
        view, _ = _view(session, m, clock)
        by_id = {r["window"]["id"]: r["score"] for r in (view["windows"] if view else [])}
        for wid, number in names.items():
            s = by_id.get(wid)
            sat[number].append(round(s["satisfied"] * 100 / s["valid"], 1) if s and s["valid"] else None)
            score[number].append(
                round(float(Fraction(s["final"])), 2) if s and s["final"] is not None else None
            )
    return {"months": months, "satisfaction": sat, "score": score}


def heatmap(session: Session, clock: Clock) -> dict[str, Any]:
    """Ratings by weekday x hour (Asia/Shanghai) over the last quarter: count and satisfied share."""
    since = clock.now_ms() - HEATMAP_DAYS * 86_400_000
    cells: dict[tuple[int, int], list[int]] = {}
    q = select(Event.at_ms, Event.rating).where(Event.type == "eval", col(Event.at_ms) >= since)
    for at_ms, rating in session.exec(q):
        t = local(at_ms)
        c = cells.setdefault((t.weekday(), t.hour), [0, 0])
        c[0] += 1
        c[1] += rating == "satisfied"
    return {
        "cells": [[h, wd, n, round(s * 100 / n, 1)] for (wd, h), (n, s) in sorted(cells.items())],
        "days": HEATMAP_DAYS,
    }


@router.get("/charts/data", include_in_schema=False)
def chart_data(session: DB, clock: ClockDep, viewer: Reader, month: MonthQuery = None) -> JSONResponse:
    m = _month(month, clock)
    total = session.exec(select(func.count()).select_from(Event).where(Event.type == "eval")).one()
    return JSONResponse(
        {"trend": trends(session, clock, m), "heatmap": heatmap(session, clock), "evaluations": int(total)}
    )


# -- exports -----------------------------------------------------------------------------------------


@router.get("/export/{what}.{fmt}", include_in_schema=False)
def export(
    what: str, fmt: str, session: DB, clock: ClockDep, viewer: Reader, month: MonthQuery = None
) -> Response:
    """报表导出: the month report (with deductions) or the violation list, CSV or Excel."""
    m = _month(month, clock)
    if fmt not in ("csv", "xlsx") or what not in ("report", "deductions", "violations"):
        return back("/management", err="不支持的导出格式。")
    if what == "violations":
        rows = violations.list_candidates(session, month=m)
        newest = {
            c.id: ds[-1] for c in rows if c.id is not None and (ds := violations.decisions_of(session, c.id))
        }
        write = exports.violations_csv if fmt == "csv" else exports.violations_xlsx
        return download(write(rows, window_names(session), newest), fmt, f"violations-{m}")
    try:
        scores = [r.score for r in month_view(session, m, clock).results]
    except CalendarMissing as exc:
        return back(f"/management?month={m}", err=f"缺少工作日历数据：{exc}")
    if what == "deductions":
        if fmt != "csv":  # the Excel report already has a deductions sheet
            return back(f"/management?month={m}", err="扣分明细已包含在 Excel 报表中。")
        return download(
            exports.month_deductions_csv(scores, window_names(session), m), fmt, f"deductions-{m}"
        )
    write_r = exports.month_report_csv if fmt == "csv" else exports.month_report_xlsx
    return download(write_r(scores, window_names(session), m), fmt, f"report-{m}")

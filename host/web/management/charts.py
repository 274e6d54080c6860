"""管理科 · 图表: satisfaction and final score per window over half a year, and ratings by weekday
and hour over the last quarter."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlmodel import Session

from host import fleet
from host.api.params import MonthQuery
from host.clock import Clock, local
from host.scoring.facts import evaluation_count, ratings_since
from host.web.core import DB, ClockDep, render
from host.web.management.shared import Reader, month_or_now, months_before, report_json

router = APIRouter(prefix="/management")
TREND_MONTHS = 6  # half a year of trend is what a monthly meeting looks at
HEATMAP_DAYS = 90  # a quarter of ratings: enough per weekday-hour cell to mean something


@router.get("/charts", response_class=HTMLResponse, include_in_schema=False)
def charts(request: Request, clock: ClockDep, viewer: Reader, month: MonthQuery = None) -> HTMLResponse:
    return render(request, "management/charts.html", viewer, month=month_or_now(month, clock))


def trends(session: Session, clock: Clock, month: str) -> dict[str, Any]:
    """Satisfaction (S/N) and final score per window for the months up to ``month``."""
    months = [months_before(month, n) for n in range(TREND_MONTHS - 1, -1, -1)]
    names = {w.id: f"{w.number} {w.name}" for w in fleet.list_windows(session)}   # legends by name
    sat: dict[str, list[float | None]] = {n: [] for n in names.values()}
    score: dict[str, list[float | None]] = {n: [] for n in names.values()}
    for m in months:
        view, _ = report_json(session, m, clock)
        by_id = {r["window"]["id"]: r["score"] for r in (view["windows"] if view else [])}
        for wid, number in names.items():
            s = by_id.get(wid)
            sat[number].append(round(s["satisfied"] * 100 / s["valid"], 1) if s and s["valid"] else None)
            score[number].append(
                round(float(Fraction(s["final"])), 2) if s and s["final"] is not None else None
            )
    return {"months": months, "satisfaction": sat, "score": score}


# The heat map covers the working week (Monday to Saturday: Saturday sessions exist, R5) and the
# working hours (08:00 to 18:00 holds the 08:30-12:00 and 13:00/13:30-17:00 sessions); the rest
# is counted and said below the chart, not drawn as empty night hours.
HEAT_HOURS = range(8, 18)
HEAT_DAYS = range(0, 6)


def heatmap(session: Session, clock: Clock) -> dict[str, Any]:
    """Ratings by weekday x hour (Asia/Shanghai) over the last quarter: count and satisfied share."""
    since = clock.now_ms() - HEATMAP_DAYS * 86_400_000
    cells: dict[tuple[int, int], list[int]] = {}
    outside = 0
    for at_ms, rating in ratings_since(session, since):
        t = local(at_ms)
        if t.hour not in HEAT_HOURS or t.weekday() not in HEAT_DAYS:
            outside += 1
            continue
        c = cells.setdefault((t.weekday(), t.hour - HEAT_HOURS.start), [0, 0])
        c[0] += 1
        c[1] += rating == "satisfied"
    return {
        "cells": [[h, wd, n, round(s * 100 / n, 1)] for (wd, h), (n, s) in sorted(cells.items())],
        "days": HEATMAP_DAYS,
        "hours": [f"{h}时" for h in HEAT_HOURS],
        "weekdays": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"][HEAT_DAYS.start:HEAT_DAYS.stop],
        "outside": outside,
    }


@router.get("/charts/data", include_in_schema=False)
def chart_data(session: DB, clock: ClockDep, viewer: Reader, month: MonthQuery = None) -> JSONResponse:
    m = month_or_now(month, clock)
    total = evaluation_count(session)
    return JSONResponse(
        {"trend": trends(session, clock, m), "heatmap": heatmap(session, clock), "evaluations": int(total)}
    )

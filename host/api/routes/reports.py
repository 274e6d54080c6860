"""Reports (R2-R5, R8-R11): the month (all windows or one), quarters and years, month close
and reopen, and the scoring configuration (with the summer-range assumption shown).

Staff see only their own window. Closing and reopening a month is the management section's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlmodel import select

from host.api.deps import AnyUser, ClockDep, SessionDep, require
from host.api.params import Month, Period, Year
from host.auth import policy
from host.auth.roles import Principal, Role
from host.calendar import config
from host.calendar.hours import calendar_error
from host.errors import Invalid, NotFound
from host.models.fleet import Window
from host.rules.calendar import CalendarMissing
from host.rules.goodbad import format_level_points
from host.rules.score import shown
from host.scoring import serialize
from host.scoring.months import close_month, history, month_view, reopen_month
from host.scoring.periods import period_view
from host.scoring.view import view_json

router = APIRouter(prefix="/reports", tags=["reports"])
Management = Annotated[Principal, Depends(require(*policy.REVIEW))]
# Monthly scores: management (all windows) and staff (their own: _scope); not patrol or IT.
ScoreReader = Annotated[Principal, Depends(require(*policy.MONTH_SCORES))]


class MonthDecision(BaseModel):
    reason: str = ""


@contextmanager
def _rules() -> Iterator[None]:
    """R5: a day without calendar data is an error the operator sees (409 with the fix)."""
    try:
        yield
    except CalendarMissing as exc:
        raise calendar_error(exc)
    except ValueError as exc:          # a malformed month or period
        if isinstance(exc, Invalid):
            raise
        raise Invalid(str(exc), "月份写成 YYYY-MM（如 2026-10），时段写成 2026-Q4 或 2026")


def _scope(who: Principal) -> list[int] | None:
    if who.role is Role.STAFF:
        return [who.window_id] if who.window_id is not None else []
    return None


@router.get("/months/{month}")
def month(month: Month, who: ScoreReader, session: SessionDep, clock: ClockDep) -> dict[str, Any]:
    """The monthly report: every window's N, S, base, V, standard, shortfall, closures, violations,
    waivers and final; as fed back if the month is closed (R11), with late events listed."""
    with _rules():
        return view_json(month_view(session, month, clock, _scope(who)))


@router.get("/months/{month}/windows/{number}")
def window_month(month: Month, number: str, who: ScoreReader, session: SessionDep,
                 clock: ClockDep) -> dict[str, Any]:
    """One window's month (so far, if it is running), with every deduction's evidence."""
    win = session.exec(select(Window).where(Window.number == number)).first()
    if win is None or win.id is None:
        raise NotFound(f"没有窗口 {number!r}", "核对窗口号；GET /api/v1/windows 可列出所有窗口")
    who.check_window(win.id)
    with _rules():
        return view_json(month_view(session, month, clock, [win.id]))


@router.get("/months/{month}/history")
def month_history(month: Month, who: ScoreReader, session: SessionDep) -> list[dict[str, Any]]:
    """The close/reopen log of a month (R11, R12)."""
    return [{"action": a.action, "at_ms": a.at_ms, "by": a.by, "reason": a.reason}
            for a in history(session, month)]


@router.post("/months/{month}/close")
def close(month: Month, body: MonthDecision, who: Management, session: SessionDep,
          clock: ClockDep) -> dict[str, Any]:
    """Close the month: the report as it stands is what each window is given (R11)."""
    with _rules():
        action = close_month(session, month, clock, by=who.actor, reason=body.reason)
    return {"month": month, "action": action.action, "at_ms": action.at_ms, "by": action.by}


@router.post("/months/{month}/reopen")
def reopen(month: Month, body: MonthDecision, who: Management, session: SessionDep,
           clock: ClockDep) -> dict[str, Any]:
    """Reopen a closed month (R11): needs a reason; logged."""
    action = reopen_month(session, month, clock, by=who.actor, reason=body.reason)
    return {"month": month, "action": action.action, "at_ms": action.at_ms, "by": action.by}


@router.get("/periods/{period}")
def period(period: Period, who: ScoreReader, session: SessionDep, clock: ClockDep) -> dict[str, Any]:
    """A quarter (2026-Q4) or year (2026): mean of the rated monthly finals, ranked."""
    with _rules():
        view = period_view(session, period, clock)
    scope = _scope(who)
    return {"period": view.period, "months": list(view.months), "pending": list(view.pending),
            "closed": list(view.closed),
            "windows": [{"window_id": p.window_id, "rank": p.rank, "months": list(p.months),
                         "score": serialize.frac(p.score), "score_shown": shown(p.score)}
                        for p in view.scores if scope is None or p.window_id in scope]}


@router.get("/config/{year}")
def scoring_config(year: Year, who: AnyUser, session: SessionDep) -> dict[str, Any]:
    """The numbers the rules use this year, defaults marked; the summer range flagged as an
    ASSUMPTION while it is the shipped default (R5)."""
    cfg = config.load_config(session)
    rng, default = cfg.summer_range(year)
    rows = config.settings_values(session)
    return {
        "summer_schedule": {"start": rng.start.isoformat(), "end": rng.end.isoformat(),
                            "assumption": default,
                            "note": "shipped default; the source gives none" if default else "configured"},
        "settings": {k: {"value": r.value if r else config.DEFAULTS[k], "default": r is None,
                         "by": r.by if r else None, "reason": r.reason if r else None}
                     for k, r in rows.items()},
        "calendar_entries": {d.isoformat(): w for d, w in sorted(cfg.calendar.overrides.items())
                             if d.year == year},
        "year_declared": year in cfg.calendar.declared_years,
        "scoring_mode": {"mode": cfg.scoring_mode, "level_points": format_level_points(cfg.level_points),
                         "assumption": cfg.default_level_points,
                         "note": "shipped default: R1 through the levels (3-5 satisfied = 5, 1-2 = 0)"
                         if cfg.default_level_points else "configured"},
    }

"""Quarterly and annual views with rankings (from the monthly scores, R8, R9).

A period's score is the mean of a window's rated monthly finals (our reading: the source
defines only the month); months not rated are left out, and a window with no rated month
is not rated and not ranked. Only months that have ended count; a closed month counts as
it was closed (R11).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session

from host.clock import Clock
from host.rules.month_span import month_span
from host.rules.score import PeriodScore, period_scores
from host.rules.types import MonthScore
from host.scoring.months import month_view

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True, slots=True)
class PeriodView:
    period: str
    months: tuple[str, ...]            # the months that counted (ended)
    pending: tuple[str, ...]           # months of the period not ended yet
    closed: tuple[str, ...]            # of the counted months, those closed (R11)
    scores: tuple[PeriodScore, ...]


def period_months(period: str) -> list[str]:
    """'2026-Q4' -> ['2026-10', '2026-11', '2026-12']; '2026' -> its twelve months."""
    text = period.strip()
    if m := _QUARTER.match(text):
        year, q = int(m[1]), int(m[2])
        return [f"{year}-{mon:02d}" for mon in range(3 * q - 2, 3 * q + 1)]
    if m := _YEAR.match(text):
        return [f"{int(m[1])}-{mon:02d}" for mon in range(1, 13)]
    raise ValueError(f"period {period!r}: write a quarter as YYYY-Qn (e.g. 2026-Q4) or a year as YYYY")


def period_view(session: Session, period: str, clock: Clock) -> PeriodView:
    months = period_months(period)
    now = clock.now_ms()
    done = [m for m in months if month_span(m).end_ms <= now]
    monthly: list[MonthScore] = []
    closed = []
    for m in done:
        view = month_view(session, m, clock)
        if view.status == "closed":
            closed.append(m)
        monthly.extend(r.score for r in view.results)
    return PeriodView(period.strip(), tuple(done), tuple(m for m in months if m not in done), tuple(closed),
                      tuple(period_scores(period.strip(), monthly)))

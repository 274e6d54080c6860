"""Quarterly and annual views with rankings (from the monthly scores, R8, R9).

A period's score is the mean of a window's rated monthly finals (our reading: the source
defines only the month); months not rated are left out, and a window with no rated month
is not rated and not ranked. Only months that have ended count; a closed month counts as
it was closed (R11).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from host.clock import Clock
from host.rules.month_span import month_span, period_months
from host.rules.score import PeriodScore, period_scores
from host.rules.types import MonthScore
from host.scoring.months import month_view


@dataclass(frozen=True, slots=True)
class PeriodView:
    period: str
    months: tuple[str, ...]            # the months that counted (ended)
    pending: tuple[str, ...]           # months of the period not ended yet
    closed: tuple[str, ...]            # of the counted months, those closed (R11)
    scores: tuple[PeriodScore, ...]


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
    return PeriodView(period, tuple(done), tuple(m for m in months if m not in done), tuple(closed),
                      tuple(period_scores(period, monthly)))

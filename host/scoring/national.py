"""The national 好差评 statistics of a month (issue 16): per window and for the center, 满意率
(levels 3-5, or "satisfied" from two-level pads, of N), 差评率, 回访率 and 整改率 (bad reviews
called back / rectified, of all bad reviews pressed in the month), and the cases past a deadline.

``load`` reads the month's counts (the daily counts, the month's cases) and ``judge`` turns
them into rates (pure: host.rules.goodbad.national_stats). Every evaluation pressed in the month
counts here, as the national platform counts them; the 5-point score's N (R2) leaves out those
voided by confirmed violations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from host.calendar.hours import month_days
from host.clock import local
from host.goodbad.cases import CLOSED, lateness
from host.models.counts import DailyCount
from host.models.goodbad import BadReview
from host.rules.goodbad import NationalCounts, NationalStats, national_stats
from host.rules.month_span import month_span


@dataclass(frozen=True, slots=True)
class MonthNational:
    month: str
    windows: dict[int, NationalStats]
    center: NationalStats


def load(session: Session, month: str, now_ms: int) -> dict[int, NationalCounts]:
    """Each window's counts for ``month`` (bad-review steps judged late as of ``now_ms``).

    N, 满意 and 差评 come from the daily counts the database keeps beside the events (a month is
    ~30 rows per window, whatever the number of events): the contract makes a level agree with
    its rating (levels 3-5 are "satisfied", 1-2 "unsatisfied"), so 满意 (levels 3-5, or
    "satisfied" without a level) is the satisfied count and 差评 (levels 1-2, or "unsatisfied"
    without a level) the unsatisfied one (host.rules.goodbad)."""
    days = month_days(month)
    q = (sa_select(col(DailyCount.window_id), func.sum(col(DailyCount.evals)),
                   func.sum(col(DailyCount.satisfied)), func.sum(col(DailyCount.unsatisfied)))
         .where(col(DailyCount.day) >= days[0], col(DailyCount.day) <= days[-1])
         .group_by(col(DailyCount.window_id)))
    out = {int(w): NationalCounts(int(n), int(sat), int(bad))
           for w, n, sat, bad in session.connection().execute(q).all() if n}
    span = month_span(month)
    today = local(now_ms).date()
    rows = session.exec(select(BadReview).where(col(BadReview.at_ms) >= span.start_ms,
                                                col(BadReview.at_ms) < span.end_ms)).all()
    for c in rows:
        late = lateness(c, today)
        done = c.status == CLOSED
        cur = out.get(c.window_id, NationalCounts())
        out[c.window_id] = replace(
            cur, called_back=cur.called_back + (c.callback_ms is not None),
            rectified=cur.rectified + (c.rectify_ms is not None),
            callback_late=cur.callback_late + late.callback, rectify_late=cur.rectify_late + late.rectify,
            overdue=cur.overdue + (not done and ((late.callback and c.callback_ms is None)
                                                  or (late.rectify and c.rectify_ms is None))))
    return out


def judge(month: str, counts: Mapping[int, NationalCounts]) -> MonthNational:
    """The rates per window and for the whole center (the sum of the windows' counts)."""
    total = sum(counts.values(), NationalCounts())
    return MonthNational(month, {w: national_stats(c) for w, c in counts.items()}, national_stats(total))


def month_national(session: Session, month: str, now_ms: int) -> MonthNational:
    return judge(month, load(session, month, now_ms))

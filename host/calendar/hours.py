"""Working hours of each window (R5): the pure rules (host.rules.calendar, host.rules.sessions)
applied to the center's configuration (host.calendar.config).

A day without calendar data raises ``CalendarMissing`` (never a guess); ``calendar_error``
turns it into the error an operator sees, with the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlmodel import Session, col, select

from host.calendar.config import RuleConfig, load_config
from host.clock import local
from host.errors import Conflict, ServiceError
from host.models.fleet import Window
from host.rules.calendar import Calendar, CalendarMissing, DayKind, SummerRange, is_summer
from host.rules.month_span import month_of, parse_month
from host.rules.sessions import ORDINARY, WindowSchedule, sessions_for_day
from host.rules.types import Span, WorkSession


def calendar_error(exc: CalendarMissing) -> ServiceError:
    """R5: a day without calendar data, as an error the operator sees with the fix."""
    return Conflict(f"还没有设置 {exc.day.isoformat()} 是否为工作日", str(exc).split(": ", 1)[1],
                    title="缺少工作日历")


def month_days(month: str) -> list[date]:
    year, mon = parse_month(month)
    day = date(year, mon, 1)
    out = []
    while day.month == mon:
        out.append(day)
        day += timedelta(days=1)
    return out


def day_kinds(calendar: Calendar, days: Sequence[date]) -> dict[date, DayKind]:
    """R5: each day's kind; a day without calendar data raises CalendarMissing (never a guess)."""
    return {d: calendar.kind(d) for d in days}


class SessionPlanner:
    """Working sessions of the month per window schedule, computed once per distinct schedule."""

    def __init__(self, kinds: dict[date, DayKind], summer: dict[int, SummerRange]) -> None:
        self.kinds = kinds
        self.summer = summer
        self._cache: dict[WindowSchedule, list[WorkSession]] = {}

    def closed_days(self, schedule: WindowSchedule) -> tuple[date, ...]:
        if schedule is ORDINARY:
            return ()
        return tuple(d for d in sorted(self.kinds) if schedule.is_closed(d))

    def sessions(self, schedule: WindowSchedule) -> list[WorkSession]:
        if schedule not in self._cache:
            self._cache[schedule] = [s for d, k in sorted(self.kinds.items())
                                     for s in sessions_for_day(d, k, is_summer(d, self.summer), schedule)]
        return self._cache[schedule]


def working_spans(session: Session, window_id: int, month: str,
                  config: RuleConfig | None = None) -> list[Span]:
    """The window's working sessions in ``month`` as spans (R5), e.g. for R6 "outside working hours"."""
    config = config or load_config(session)
    planner = SessionPlanner(day_kinds(config.calendar, month_days(month)), config.summer)
    return [s.span for s in planner.sessions(config.schedule(window_id))]


def working_within(session: Session, span: Span) -> tuple[dict[int, list[Span]], list[str]]:
    """Each active window's working sessions overlapping ``span`` (R5), and what the calendar lacks
    (said, never guessed)."""
    config = load_config(session)
    months = sorted({month_of(span.start_ms), month_of(max(span.start_ms, span.end_ms - 1))})
    out: dict[int, list[Span]] = {}
    warnings: list[str] = []
    for w in session.exec(select(Window).where(col(Window.active).is_(True))).all():
        assert w.id is not None
        spans: list[Span] = []
        for m in months:
            try:
                spans += [s for s in working_spans(session, w.id, m, config) if s.overlap_ms(span) > 0]
            except CalendarMissing as exc:
                warnings.append(str(exc))
        out[w.id] = spans
    return out, list(dict.fromkeys(warnings))


def working_now(config: RuleConfig, window_id: int | None, now_ms: int) -> bool:
    """Whether ``now_ms`` is inside a working session of the window (R5; ordinary schedule if none).
    A day without calendar data counts as working: never guess it free."""
    day = local(now_ms).date()
    try:
        kind = config.calendar.kind(day)
    except CalendarMissing:
        return True
    schedule = config.schedule(window_id) if window_id is not None else ORDINARY
    return any(s.span.start_ms <= now_ms < s.span.end_ms
               for s in sessions_for_day(day, kind, is_summer(day, config.summer), schedule))

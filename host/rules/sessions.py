"""The working sessions of one window on one day (R5, rule 16), in Asia/Shanghai.

Morning 08:30-12:00; afternoon 13:00-17:00, or 13:30-17:00 on the summer schedule. A noon
duty day (中午值班) adds a session from 12:00 to the afternoon start. A convenience window's
Saturday service hours (便民窗口) make each configured span a session on rest Saturdays.
A closed day (window not staffed) has no sessions (R5 c).
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field
from datetime import date, datetime, time

from host.clock import RULES_TZ, to_ms
from host.rules.calendar import DayKind
from host.rules.types import Span, WorkSession

MORNING = (time(8, 30), time(12, 0))            # R5: rule 16 working hours
AFTERNOON_WINTER = (time(13, 0), time(17, 0))
AFTERNOON_SUMMER = (time(13, 30), time(17, 0))  # 夏令时
NOON_START = time(12, 0)
SATURDAY = 5


@dataclass(frozen=True, slots=True)
class WindowSchedule:
    """A window's own hours (R5, configurable per window).

    ``noon_duty_weekdays``: weekdays (0 = Monday) with noon duty on working days;
    ``noon_duty_dates``: single dates with noon duty; ``saturday_spans``: the Saturday
    service hours, each one session; ``closed_weekdays`` / ``closed_dates``: days the window
    is not staffed.
    """

    noon_duty_weekdays: Set[int] = field(default_factory=frozenset)
    noon_duty_dates: Set[date] = field(default_factory=frozenset)
    saturday_spans: tuple[tuple[time, time], ...] = ()
    closed_weekdays: Set[int] = field(default_factory=frozenset)
    closed_dates: Set[date] = field(default_factory=frozenset)

    def is_closed(self, day: date) -> bool:
        return day in self.closed_dates or day.weekday() in self.closed_weekdays

    def has_noon_duty(self, day: date) -> bool:
        return day in self.noon_duty_dates or day.weekday() in self.noon_duty_weekdays


ORDINARY = WindowSchedule()


def at(day: date, t: time) -> int:
    """Asia/Shanghai wall time on ``day`` -> Unix ms."""
    return to_ms(datetime.combine(day, t, tzinfo=RULES_TZ))


def _session(day: date, name: str, start: time, end: time) -> WorkSession:
    return WorkSession(day=day, name=name, span=Span(at(day, start), at(day, end)))


def sessions_for_day(day: date, kind: DayKind, summer: bool,
                     schedule: WindowSchedule = ORDINARY) -> list[WorkSession]:
    """The window's working sessions on ``day``, in time order (R5)."""
    if schedule.is_closed(day):
        return []                                   # R5 c: closed day
    if kind is DayKind.WORKING:
        afternoon = AFTERNOON_SUMMER if summer else AFTERNOON_WINTER
        out = [_session(day, "morning", *MORNING)]
        if schedule.has_noon_duty(day):
            out.append(_session(day, "noon", NOON_START, afternoon[0]))
        out.append(_session(day, "afternoon", *afternoon))
        return out
    if kind is DayKind.REST and day.weekday() == SATURDAY:
        return [_session(day, f"saturday-{i + 1}", s, e)
                for i, (s, e) in enumerate(sorted(schedule.saturday_spans))]
    return []

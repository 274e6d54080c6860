"""Working days for the simulator's own side of 好差评 (issue 16), straight from the official
calendar library (``chinesecalendar``), never through the host's calendar (host.calendar,
host.rules.calendar): the truth's deadlines must come from somewhere the host's code is not, so
the checker compares the host against the calendar, not against itself.

A deadline of n working days after a bad review pressed on day d is the n-th working day after d
(d itself not counted); make-up working days (调休) count, statutory holidays do not.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar


def is_working(day: date) -> bool:
    """The official calendar's working day (NotImplementedError for a year it does not cover)."""
    return bool(chinese_calendar.is_workday(day))


def add_working(start: date, n: int) -> date:
    """The ``n``-th working day after ``start`` (``start`` itself when n is 0)."""
    d, left = start, n
    while left > 0:
        d += timedelta(days=1)
        if is_working(d):
            left -= 1
    return d


def working_between(first: date, last: date) -> list[date]:
    """The working days from ``first`` to ``last``, both included."""
    out: list[date] = []
    d = first
    while d <= last:
        if is_working(d):
            out.append(d)
        d += timedelta(days=1)
    return out

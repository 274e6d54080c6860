"""Property: find_closures agrees with a brute-force minute-by-minute reading of R5 on random days."""

from __future__ import annotations

from datetime import date, time
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from host.rules.calendar import DayKind
from host.rules.closures import PowerFact, find_closures
from host.rules.sessions import WindowSchedule, at, sessions_for_day
from host.rules.types import Span

DAY = date(2026, 11, 18)
MIN = 60_000
T0 = at(DAY, time(7))               # the day's facts run 07:00-19:00, on a minute grid
MINUTES = 12 * 60


def brute_force(sessions, on_minutes: set[int], grace_min: int) -> list[tuple[str, int, int]]:  # type: ignore[no-untyped-def]
    out = []
    for s in sessions:
        a, b = (s.span.start_ms - T0) // MIN, (s.span.end_ms - T0) // MIN
        run = None
        for m in range(a, b + 1):
            off = m < b and m not in on_minutes
            if off and run is None:
                run = m
            if not off and run is not None:
                if m - run >= grace_min:
                    out.append((s.name, run, m))
                run = None
    return out


@settings(max_examples=200, deadline=None)
@given(cuts=st.lists(st.integers(0, MINUTES), min_size=0, max_size=16, unique=True),
       first_on=st.booleans(), grace_min=st.integers(1, 10), noon=st.booleans(), summer=st.booleans())
def test_property_closures_match_brute_force(cuts: list[int], first_on: bool, grace_min: int, noon: bool,
                                             summer: bool) -> None:
    bounds = [0, *sorted(set(cuts) - {0, MINUTES}), MINUTES]
    facts, on_minutes, state = [], set(), first_on
    for a, b in pairwise(bounds):
        facts.append(PowerFact("pad-1", "on" if state else "off", Span(T0 + a * MIN, T0 + b * MIN), "will"))
        if state:
            on_minutes.update(range(a, b))
        state = not state
    schedule = WindowSchedule(noon_duty_weekdays={DAY.weekday()} if noon else frozenset())
    sessions = sessions_for_day(DAY, DayKind.WORKING, summer, schedule)
    found = find_closures(1, sessions, facts, grace_ms=grace_min * MIN)
    got = [(c.session.name, (c.off.start_ms - T0) // MIN, (c.off.end_ms - T0) // MIN) for c in found]
    assert got == brute_force(sessions, on_minutes, grace_min)
    for c in found:
        assert c.session.span.start_ms <= c.off.start_ms < c.off.end_ms <= c.session.span.end_ms

"""R6/R7 floods: many evaluations from one pad within a minute of event time (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from host.rules.floods import bursts

S = 1000


def test_an_honest_pad_never_floods_even_its_resent_backlog() -> None:
    # One press every 20 s (the pad's minimum interval) all day: never 20 in a minute.
    assert bursts([i * 20 * S for i in range(1500)], threshold=20) == []


def test_a_script_sending_hundreds_a_minute_is_one_burst() -> None:
    quiet = [i * 60 * S for i in range(5)]                           # before: a normal morning
    flood = [10 * 60 * S + i * 200 for i in range(300)]              # 300 in a minute
    after = [20 * 60 * S + i * 60 * S for i in range(3)]
    times = quiet + flood + after
    assert bursts(times, threshold=20) == [(5, 304)]


def test_two_floods_an_hour_apart_are_two_bursts_and_the_threshold_counts() -> None:
    times = [i * S for i in range(19)] + [3600 * S + i * S for i in range(20)]
    assert bursts(times, threshold=20) == [(19, 38)]                # 19 is below it, 20 reaches it
    with pytest.raises(ValueError):
        bursts(times, threshold=1)


@given(st.lists(st.integers(0, 10 * 60 * S), max_size=200), st.integers(2, 30))
def test_every_burst_holds_threshold_within_a_minute(raw: list[int], threshold: int) -> None:
    times = sorted(raw)
    found = bursts(times, threshold)
    flagged = {i for a, b in found for i in range(a, b + 1)}
    for i, t in enumerate(times):
        # An index is flagged iff some window of a minute holding it holds >= threshold.
        inside = any(sum(1 for u in times if s <= u < s + 60 * S) >= threshold and s <= t < s + 60 * S
                     for s in times[max(0, i - threshold):i + 1])
        assert (i in flagged) == inside

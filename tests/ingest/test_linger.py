"""Heartbeats wait for company on the host's clock, the one liveness judges them by (issue 15).

A batch of state messages lingers STATE_LINGER_S for more to share its commit. On a clock that
runs thousands of times faster than real time (the simulator's), 50 real milliseconds are
minutes of the pads' time: the linger follows the clock, so it stays 50 ms of *that* time,
down to MIN_LINGER_S, below which heartbeats would no longer share a commit.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from host.clock import ManualClock, SystemClock
from host.ingest import writer as writer_mod
from host.ingest.inbox import Inbox
from host.ingest.writer import MIN_LINGER_S, STATE_LINGER_S, Writer


class Fast:
    """A clock running ``rate`` times real time."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.t0 = time.monotonic()

    def now_ms(self) -> int:
        return int((time.monotonic() - self.t0) * 1000 * self.rate)


def linger_after_a_while(clock: object) -> float:
    w = Writer(None, Inbox(), None, SimpleNamespace(liveness=None), clock)  # type: ignore[arg-type]
    time.sleep(writer_mod.PACE_EVERY_S * 1.5)
    return w._linger_s()


@pytest.fixture(autouse=True)
def short_pace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer_mod, "PACE_EVERY_S", 0.2)


def test_on_a_clock_ten_times_faster_heartbeats_linger_a_tenth() -> None:
    linger = linger_after_a_while(Fast(10))
    assert STATE_LINGER_S / 20 < linger < STATE_LINGER_S / 5


def test_on_a_clock_a_thousand_times_faster_they_linger_the_least_that_still_gathers() -> None:
    """A thousandth would be 50 us: each few heartbeats their own commit. The floor (2 ms, seconds
    of the pads' time) cut the simulated Qingpu month's host CPU from 236-238 s to 193-216 s."""
    assert linger_after_a_while(Fast(1000)) == MIN_LINGER_S < STATE_LINGER_S / 10


@pytest.mark.parametrize("clock", [SystemClock(), ManualClock(1_790_000_000_000)], ids=["real", "frozen"])
def test_at_real_time_or_on_a_held_clock_they_linger_the_full_time(clock: object) -> None:
    assert linger_after_a_while(clock) == STATE_LINGER_S

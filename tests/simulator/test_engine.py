"""The engine's schedule, without a broker: planning reaches past empty days; incidents are recorded."""

from __future__ import annotations

from datetime import timedelta

from host.clock import ManualClock
from simulator import scenario
from simulator.engine import HallEngine


class PadStub:
    """Stands in for a SimPad where only the schedule is under test (no firmware, no network)."""

    def __init__(self) -> None:
        self.on = False
        self.now = 0
        self.connected = False
        self.stuck: set[str] = set()

    def switch_on(self, at: int) -> None:
        self.on = True

    def advance_to(self, t: int) -> None:
        self.now = t

    def step(self) -> None:
        pass

    def unacked(self) -> int:
        return 0


def test_a_run_that_starts_with_a_holiday_week_still_reaches_the_first_working_day() -> None:
    sc = scenario.load("qingpu-hall")          # 1-7 October 2026 are the National Day holiday
    sc = sc.model_copy(update={
        "period": sc.period.model_copy(update={"end": sc.period.start + timedelta(days=7)}),
        "hall": sc.hall.model_copy(update={"windows": sc.hall.windows[:1]}), "incidents": []})
    hall = HallEngine(sc, {"A01": PadStub()}, ManualClock(0), sync_ms=None)  # type: ignore[dict-item]
    booted: list[int] = []
    hall._boot = lambda number, at: booted.append(at)  # type: ignore[method-assign]
    stats = hall.run()
    assert stats.actions > 100                    # 8 October is a working day
    assert next(at for at in booted if at > sc.start_ms) >= sc.start_ms + 7 * 86_400_000   # on 8 Oct
    assert stats.sim_ms == sc.end_ms - sc.start_ms

"""The engine's schedule, without a broker: planning reaches past empty days; incidents are recorded."""

from __future__ import annotations

from datetime import timedelta

from host.clock import ManualClock
from simulator import checker, scenario
from simulator.behaviour import Action
from simulator.engine import HallEngine
from simulator.pad import Expect


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


class StaffStub(PadStub):
    """A powered pad whose keys only move its clock: what the truth records is under test."""

    def __init__(self) -> None:
        super().__init__()
        self.on = True
        self.expect = Expect()

    def hold(self, button: str, hold_ms: int) -> int:
        self.now += hold_ms
        return self.now


def test_pausing_while_a_prompt_shows_is_a_refusal_candidate_in_the_truth_r6() -> None:
    """The pad cancels a prompt when staff pause (firmware/pad/modes.py), and the host flags a
    cancelled prompt as 拒绝评议 for the management section: the truth must expect it too (the
    Qingpu month showed nine such windows as differences before)."""
    sc = scenario.load("qingpu-hall")
    pad = StaffStub()
    hall = HallEngine(sc, {"A01": pad}, ManualClock(0), sync_ms=None)  # type: ignore[dict-item]
    t0 = sc.start_ms + 7 * 86_400_000 + 3_600_000
    hall._act(Action(t0, 1, "A01", "prompt", ticket="T1"), t0)
    hall._act(Action(t0 + 5_000, 2, "A01", "pause"), t0 + 5_000)
    hall._act(Action(t0 + 600_000, 3, "A01", "resume"), t0 + 600_000)
    hall._act(Action(t0 + 700_000, 4, "A01", "pause"), t0 + 700_000)     # no prompt showing
    refusals = [n for n in hall.truth.notes if checker.TAG_TO_KIND.get(n.kind) == "refused"]
    assert [(n.at_ms, n.window) for n in refusals] == [(t0 + 5_000, "A01")]

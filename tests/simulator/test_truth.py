"""The ground truth's score goes through the host's pure rules (R2-R5, R9)."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction

from host.clock import RULES_TZ, to_ms
from simulator.scenario import parse
from simulator.truth import Truth, truth_scores

HALL = """\
hall:
  name: 测试
  windows:
    - {number: A01, name: 综合受理}
    - {number: P01, name: 交警, category: police_traffic}
period: {start: 2026-11-02, end: 2026-11-02}
"""


def ms(hhmm: str) -> int:
    h, m = map(int, hhmm.split(":"))
    return to_ms(datetime(2026, 11, 2, h, m, tzinfo=RULES_TZ))   # a winter Monday


def day_on(t: Truth, window: str, off: tuple[str, str] | None = None) -> None:
    t.powered(window, ms("08:20"))
    if off:
        t.unpowered(window, ms(off[0]))
        t.powered(window, ms(off[1]))
    t.unpowered(window, ms("17:05"))


def test_off_across_noon_is_two_closures_on_the_winter_schedule_r5_example_6() -> None:
    sc = parse(HALL)
    t = Truth()
    day_on(t, "A01", ("11:50", "13:10"))
    day_on(t, "P01", ("11:50", "13:10"))
    for r in ("satisfied", "satisfied", "unsatisfied"):
        t.evaluation(ms("09:00"), "A01", r, True)
    res = truth_scores(sc, t, "2026-11", volume_from_sessions=False)
    a01, p01 = res["A01"], res["P01"]
    assert [c.session.name for c in a01.closures] == ["morning", "afternoon"]
    assert all(c.excuse is None for c in a01.closures)
    assert (a01.score.valid, a01.score.satisfied) == (3, 2)
    # base 5 x 2/3, minus two closures (R2, R5); the report shows it rounded half up
    assert a01.score.final == Fraction(5 * 2, 3) - 2
    # the police window's closures are logged and excused (R5a); no evaluations, no volume: not rated (R9)
    assert [c.excuse for c in p01.closures] == ["placard", "placard"]
    assert p01.score.final is None


def test_a_pad_switched_on_late_is_a_closure_for_the_late_part() -> None:
    sc = parse(HALL)
    t = Truth()
    t.powered("A01", ms("08:50"))
    t.unpowered("A01", ms("17:05"))
    (c,) = truth_scores(sc, t, "2026-11", volume_from_sessions=False)["A01"].closures
    assert (c.off.start_ms, c.off.end_ms) == (ms("08:30"), ms("08:50"))


def test_volume_from_the_queue_sessions_gives_the_standard_count_r3() -> None:
    sc = parse(HALL)
    t = Truth()
    day_on(t, "A01")
    for i in range(10):
        t.service("A01", f"A01-{i}", ms("10:00") + i * 60_000)
    s = truth_scores(sc, t, "2026-11", volume_from_sessions=True)["A01"].score
    assert (s.volume, s.standard, s.valid) == (10, 7, 0)    # ceil(0.7 x 10) = 7; N = 0 -> base 0 (R9)

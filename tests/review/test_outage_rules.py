"""Mass outages (R7), pure (host.rules.outages): many pads offline together = one network fault."""

from __future__ import annotations

import pytest

from host.rules.outages import OffInterval, OutageRules, find_outages, needed

MIN = 60_000


def off(dev: str, start_min: float, end_min: float | None, cause: str = "will") -> OffInterval:
    return OffInterval(dev, int(start_min * MIN), None if end_min is None else int(end_min * MIN), cause)


def test_r7_threshold_named_defaults_and_small_centers() -> None:
    rules = OutageRules()
    assert (rules.cluster_ms, rules.min_pads, rules.min_share, rules.return_share) == (120_000, 5, 0.5, 0.8)
    assert needed(200, rules) == 5  # a big hall: five pads at once
    assert needed(6, rules) == 3  # a small one: half the fleet
    assert needed(3, rules) == 2  # never fewer than two pads
    with pytest.raises(ValueError, match="min_pads"):
        OutageRules(min_pads=1)


def test_r7_four_pads_are_not_an_outage_in_a_big_hall_five_are() -> None:
    four = [off(f"p{i}", i * 0.25, 30) for i in range(4)]
    assert find_outages(four, fleet_size=100) == []
    five = [*four, off("p4", 1.9, 30)]
    (o,) = find_outages(five, fleet_size=100)
    assert o.device_ids == ("p0", "p1", "p2", "p3", "p4") and o.start_ms == 0


def test_r7_cluster_window_is_inclusive_and_slides_past_an_unrelated_drop() -> None:
    # An unrelated pad dropped at 0; five pads drop between 1.5 and 3.5 min.
    offs = [off("lone", 0, 600)] + [off(f"p{i}", 1.5 + i * 0.5, 20) for i in range(5)]
    (o,) = find_outages(offs, fleet_size=100)
    assert o.start_ms == int(1.5 * MIN) and "lone" not in o.device_ids
    # The fifth pad at exactly cluster_ms after the first still belongs; 1 ms later it does not.
    at_edge = [off(f"p{i}", 0, 20) for i in range(4)] + [OffInterval("p4", 120_000, 20 * MIN, "will")]
    assert len(find_outages(at_edge, 100)) == 1
    past = [off(f"p{i}", 0, 20) for i in range(4)] + [OffInterval("p4", 120_001, 20 * MIN, "will")]
    assert find_outages(past, 100) == []


def test_r7_power_key_switch_offs_and_repeat_drops_of_one_pad_do_not_count() -> None:
    offs = [off(f"p{i}", 0, 10, cause="power_off") for i in range(6)]
    assert find_outages(offs, 100) == []
    flapping = [off("p0", i * 0.1, i * 0.1 + 0.05) for i in range(10)]
    assert find_outages(flapping, 100) == []  # one pad is one pad, however often it drops


def test_r7_outage_ends_when_most_pads_are_back_and_may_still_be_running() -> None:
    ends = [10, 11, 12, 13, 240]  # one straggler stays off for hours
    (o,) = find_outages([off(f"p{i}", 0, e) for i, e in enumerate(ends)], 100)
    assert o.end_ms == 13 * MIN  # 80 % = 4 of 5 back
    (running,) = find_outages([off(f"p{i}", 0, None if i < 2 else 5) for i in range(5)], 100)
    assert running.end_ms is None and running.span(until_ms=99 * MIN).end_ms == 99 * MIN


def test_r7_two_separate_outages() -> None:
    a = [off(f"p{i}", 0, 10) for i in range(5)]
    b = [off(f"p{i}", 60, 70) for i in range(5)]
    got = find_outages(a + b, 100)
    assert [(o.start_ms, o.end_ms) for o in got] == [(0, 10 * MIN), (60 * MIN, 70 * MIN)]

"""好差评 rules (host.rules.goodbad), pure: levels and points, deadlines in working days, the
national rates, bursts. Each at its boundary."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from host.rules.calendar import Calendar, CalendarMissing
from host.rules.goodbad import (
    DEFAULT_LEVEL_POINTS,
    FIVE_LEVEL,
    TWO_LEVEL,
    BadMapping,
    BurstRule,
    NationalCounts,
    add_working_days,
    bursts,
    format_level_points,
    in_burst,
    is_bad_review,
    is_late,
    national_stats,
    parse_level_points,
    percent,
    points_total,
)

CAL = Calendar()
MIN = 60_000


def test_bad_review_is_level_1_or_2_or_unsatisfied_without_level() -> None:
    assert [is_bad_review(None, lv) for lv in (1, 2, 3, 4, 5)] == [True, True, False, False, False]
    assert is_bad_review("unsatisfied", None) and not is_bad_review("satisfied", None)


def test_level_points_parse_and_refuse() -> None:
    assert parse_level_points("5:5,4:4.5,3:3,2:1,1:0")[4] == Fraction(9, 2)
    assert parse_level_points(format_level_points(DEFAULT_LEVEL_POINTS)) == DEFAULT_LEVEL_POINTS
    for bad in (
        "5:5,4:4,3:3,2:1",
        "5:5,4:4,3:3,2:1,1:0,1:0",
        "5:6,4:4,3:3,2:1,1:0",
        "5:5,4:4,3:3,2:1,1:-1",
        "5:4,4:5,3:3,2:1,1:0",
        "5=5",
        "5:x,4:4,3:3,2:1,1:0",
    ):
        with pytest.raises(BadMapping):
            parse_level_points(bad)


def test_two_level_points_are_r2_whatever_the_levels() -> None:
    # R2 worked example 1: N = 40, S = 36 -> base 4.5, in either mode with the shipped mapping.
    levels = (1, 3, 10, 10, 16)  # 36 satisfied (levels 3-5), 4 not
    assert points_total(40, 36, levels, TWO_LEVEL, {5: Fraction(5)}) / 40 == Fraction(9, 2)
    assert points_total(40, 36, levels, FIVE_LEVEL, DEFAULT_LEVEL_POINTS) / 40 == Fraction(9, 2)


def test_five_level_points_mix_levelled_and_two_level_pads() -> None:
    graded = parse_level_points("5:5,4:4,3:3,2:1,1:0")
    # 2 two-level evaluations (1 satisfied) + levels 5, 4, 3, 2, 1 once each: 5 + 0 + 5+4+3+1+0 = 18
    assert points_total(7, 4, (1, 1, 1, 1, 1), FIVE_LEVEL, graded) == 18
    with pytest.raises(ValueError):
        points_total(3, 0, (0, 0, 1, 1, 1), FIVE_LEVEL, graded)  # levels 3-5 are satisfied: S >= 3


def test_deadline_across_national_day_2026_and_its_make_up_saturday() -> None:
    """Wed 30 Sep 2026: 回访 due Thu 8 Oct (1-7 Oct off); 整改 (15 working days) due Tue 27 Oct,
    counting the make-up working Saturday 10 Oct (调休); without it, it would be the 28th."""
    wed = date(2026, 9, 30)
    assert add_working_days(wed, 1, CAL.is_working_day) == date(2026, 10, 8)
    assert add_working_days(wed, 15, CAL.is_working_day) == date(2026, 10, 27)

    def no_make_up(d: date) -> bool:
        return d.weekday() < 5 and not date(2026, 10, 1) <= d <= date(2026, 10, 7)

    assert add_working_days(wed, 15, no_make_up) == date(2026, 10, 28)
    assert add_working_days(date(2026, 10, 3), 1, CAL.is_working_day) == date(2026, 10, 8)  # in the holiday
    assert add_working_days(date(2026, 10, 9), 1, CAL.is_working_day) == date(2026, 10, 10)  # 调休 Saturday
    assert add_working_days(wed, 0, CAL.is_working_day) == wed


def test_deadline_beyond_the_calendar_is_an_error_not_a_guess() -> None:
    with pytest.raises(CalendarMissing):
        add_working_days(date(2026, 12, 20), 15, CAL.is_working_day)


def test_late_at_the_due_date_boundary() -> None:
    due = date(2026, 10, 8)
    assert not is_late(due, None, due)  # still due today
    assert is_late(due, None, date(2026, 10, 9))
    assert not is_late(due, due, date(2026, 11, 1))  # done on the day
    assert is_late(due, date(2026, 10, 9), date(2026, 10, 9))
    assert not is_late(None, None, date(2030, 1, 1))  # no due date known yet


def test_national_rates_at_their_boundaries() -> None:
    none = national_stats(NationalCounts())
    assert (none.satisfaction_rate, none.bad_rate, none.callback_rate, none.rectify_rate) == (None,) * 4
    s = national_stats(NationalCounts(evaluations=4, satisfied=3, bad=1, called_back=0, rectified=0))
    assert (s.satisfaction_rate, s.bad_rate, s.callback_rate, s.rectify_rate) == (
        Fraction(3, 4),
        Fraction(1, 4),
        0,
        0,
    )
    full = national_stats(NationalCounts(evaluations=2, satisfied=0, bad=2, called_back=2, rectified=1))
    assert (full.callback_rate, full.rectify_rate) == (1, Fraction(1, 2))
    assert [percent(x) for x in (None, Fraction(0), Fraction(1), Fraction(2, 3), Fraction(1, 2000))] == [
        "—",
        "0.0%",
        "100.0%",
        "66.7%",
        "0.1%",
    ]


def _evals(*spec: tuple[int, bool]) -> list[tuple[int, bool]]:
    return [(m * MIN, bad) for m, bad in spec]


def test_burst_needs_four_ratings_and_half_unsatisfied() -> None:
    rule = BurstRule()
    three = _evals((0, True), (1, True), (2, True))
    assert not any(in_burst(three, rule))  # 3 ratings: too few
    half = _evals((0, False), (1, True), (2, False), (3, True))
    assert in_burst(half, rule) == [False, False, False, True]  # 2 of 4 = 50 %: a burst
    under = _evals((0, False), (1, True), (2, False), (3, False), (4, True))
    assert not any(in_burst(under, rule))  # 2 of 5 < 50 %
    spread = _evals((0, True), (5, True), (10, True), (15, True))
    assert not any(in_burst(spread, rule))  # 15 min apart: 3 within
    inside = _evals((0, True), (5, True), (10, True), (14, True))
    assert in_burst(inside, rule)[-1]


def test_one_burst_per_run_not_per_press() -> None:
    rule = BurstRule()
    run = _evals(*[(m, True) for m in range(10)])  # 10 unsatisfied in 10 min
    found = bursts(run, rule)
    assert len(found) == 1 and found[0].first == 3 and found[0].presses == 7
    later = run + _evals((40, True), (41, True), (42, True), (43, True))  # quiet 30 min, then again
    assert len(bursts(later, rule)) == 2
    assert len(bursts(_evals(*[(m, True) for m in range(4)]), BurstRule(min_ratings=5))) == 0

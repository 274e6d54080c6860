"""Behaviour models: deterministic plans on the rules' own working hours, misbehaviours as configured."""

from __future__ import annotations

from collections import Counter
from datetime import date

from host.rules.calendar import Calendar
from simulator.behaviour import Planner, work_sessions
from simulator.scenario import parse

HALL = """\
hall:
  name: 测试
  windows:
    - {number: A01, name: 综合受理}
    - {number: B01, name: 税务}
    - {number: P01, name: 交警, category: police_traffic, noon_duty_weekdays: [0]}
period: {start: 2026-10-12, end: 2026-10-16}
seed: 3
behaviour:
  default: {arrivals_per_hour: {9: 8, 10: 8, 14: 8, 15: 8}}
  windows:
    B01: {press_twice: 0.5, cancel_prompt: 0.2, self_rate_per_day: 2, forget_prompt: 0.3}
"""
MONDAY = date(2026, 10, 12)


def test_plans_are_deterministic_and_per_window() -> None:
    sc = parse(HALL)
    a = Planner(sc).plan_day(sc.hall.windows[0], MONDAY).actions
    assert a == Planner(sc).plan_day(sc.hall.windows[0], MONDAY).actions
    # Changing another window's behaviour leaves this window's day as it was.
    other = parse(HALL.replace("press_twice: 0.5", "press_twice: 0.1"))
    assert a == Planner(other).plan_day(other.hall.windows[0], MONDAY).actions


def test_citizens_are_served_and_rated_inside_working_sessions() -> None:
    sc = parse(HALL)
    w = sc.hall.windows[0]
    plan = Planner(sc).plan_day(w, MONDAY)
    spans = [s.span for s in work_sessions(w, MONDAY, Calendar())]
    rated = [a for a in plan.actions if a.kind in ("service_start", "service_end", "prompt", "rate")]
    assert len(rated) > 40
    for a in rated:
        assert any(s.start_ms <= a.at_ms <= s.end_ms for s in spans), a
    kinds = Counter(a.kind for a in plan.actions)
    assert kinds["switch_on"] == kinds["switch_off"] == 1
    assert kinds["service_start"] == kinds["service_end"]


def test_noon_duty_adds_a_session_r5() -> None:
    sc = parse(HALL)
    p01 = sc.hall.windows[2]
    assert [s.name for s in work_sessions(p01, MONDAY, Calendar())] == ["morning", "noon", "afternoon"]
    assert [s.name for s in work_sessions(p01, date(2026, 10, 13), Calendar())] == ["morning", "afternoon"]


def test_rest_days_have_no_plan() -> None:
    sc = parse(HALL)
    assert Planner(sc).plan_day(sc.hall.windows[0], date(2026, 10, 18)).actions == []   # a Sunday


def test_misbehaviours_appear_as_configured() -> None:
    sc = parse(HALL)
    planner = Planner(sc)
    tags: Counter[str] = Counter()
    for d in sc.days():
        for a in planner.plan_day(sc.hall.windows[1], d).actions:
            tags[a.tag] += 1
    for tag in ("press_twice", "cancel_prompt", "self_rate", "forget_prompt"):
        assert tags[tag] > 0, tag
    a01 = sc.hall.windows[0]
    quiet: Counter[str] = Counter(a.tag for d in sc.days() for a in planner.plan_day(a01, d).actions)
    assert quiet["press_twice"] == quiet["cancel_prompt"] == quiet["self_rate"] == 0


def test_a_second_press_comes_after_the_thank_you_and_before_the_minimum_interval() -> None:
    sc = parse(HALL)
    planner = Planner(sc)
    for d in sc.days():
        acts = planner.plan_day(sc.hall.windows[1], d).actions
        for i, a in enumerate(acts):
            if a.tag == "press_twice":
                first = max(x for x in acts[:i] if x.kind == "rate" and x.ticket == a.ticket)
                gap = a.at_ms - first.at_ms
                assert (sc.pads.thanks_s + 2) * 1000 <= gap <= sc.pads.min_interval_s * 1000


def test_always_open_hall_for_the_demo() -> None:
    sc = parse(HALL.replace("  name: 测试\n", "  name: 测试\n  hours: always\n"))
    plan = Planner(sc).plan_day(sc.hall.windows[0], date(2026, 10, 18))      # even a Sunday
    hours = {(a.at_ms // 3_600_000) for a in plan.actions if a.kind == "service_start"}
    assert len(hours) > 12


def test_a_five_level_hall_plans_levels_bad_reviews_and_reasons() -> None:
    """Issue 16: pads.layout five; bad_review_share sets the 差评 share; reasons follow some of them."""
    sc = parse(HALL.replace("  default: {", "  default: {bad_review_share: 0.3, reason_share: 0.8, ")
               + "pads: {layout: five, reason_s: 15}\n")
    planner = Planner(sc)
    acts = [a for d in sc.days() for w in sc.hall.windows for a in planner.plan_day(w, d).actions]
    rates = [a for a in acts if a.kind == "rate" and a.tag != "self_rate"]
    assert rates and all(a.level in (1, 2, 3, 4, 5) for a in rates)
    assert all((a.level >= 3) == (a.rating == "satisfied") for a in rates)          # the contract's rule
    bad = [a for a in rates if a.level <= 2]
    assert 0.2 < len(bad) / len(rates) < 0.4
    reasons = [a for a in acts if a.kind == "reason"]
    assert reasons and {a.reason for a in reasons} <= {"efficiency", "skill", "attitude", "other"}
    for r in reasons:       # each follows a bad review of its ticket, inside the reason screen
        first = max(a for a in bad if a.ticket == r.ticket and a.at_ms <= r.at_ms)
        assert 0 < r.at_ms - first.at_ms < sc.pads.reason_s * 1000
    # A two-key hall's plan is what it was: no levels, no reasons.
    two = Planner(parse(HALL))
    plain = [a for d in sc.days() for a in two.plan_day(sc.hall.windows[0], d).actions]
    assert not [a for a in plain if a.level is not None or a.kind == "reason"]

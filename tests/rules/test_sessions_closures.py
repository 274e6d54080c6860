"""R5 working sessions and closures: noon on summer and winter, grace, late start, excuses."""

from datetime import UTC, date, datetime, time

from host.rules.calendar import DayKind
from host.rules.closures import ExcuseSpan, PowerFact, find_closures
from host.rules.sessions import WindowSchedule, at, sessions_for_day
from host.rules.types import Span

MIN = 60_000
WINTER_DAY = date(2026, 11, 18)      # a Wednesday, winter schedule
SUMMER_DAY = date(2026, 7, 15)       # a Wednesday, summer schedule


def day_sessions(day: date, summer: bool, schedule: WindowSchedule | None = None):  # type: ignore[no-untyped-def]
    return sessions_for_day(day, DayKind.WORKING, summer, schedule or WindowSchedule())


def power(day: date, *pieces: tuple[str, time, time]) -> list[PowerFact]:
    return [PowerFact("pad-1", state, Span(at(day, a), at(day, b)), "will" if state == "off" else "")
            for state, a, b in pieces]


def pad_off(day: date, a: time, b: time) -> list[PowerFact]:
    """On all day except ``a``-``b``."""
    return power(day, ("on", time(7, 0), a), ("off", a, b), ("on", b, time(19, 0)))


def names(closures) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.session.name for c in closures]


def test_r5_sessions_winter_summer_noon_duty() -> None:
    winter = day_sessions(WINTER_DAY, summer=False)
    assert [(s.name, s.span) for s in winter] == [
        ("morning", Span(at(WINTER_DAY, time(8, 30)), at(WINTER_DAY, time(12)))),
        ("afternoon", Span(at(WINTER_DAY, time(13)), at(WINTER_DAY, time(17))))]
    summer = day_sessions(SUMMER_DAY, summer=True, schedule=WindowSchedule(noon_duty_weekdays={2}))
    assert [(s.name, s.span.start_ms, s.span.end_ms) for s in summer] == [
        ("morning", at(SUMMER_DAY, time(8, 30)), at(SUMMER_DAY, time(12))),
        ("noon", at(SUMMER_DAY, time(12)), at(SUMMER_DAY, time(13, 30))),
        ("afternoon", at(SUMMER_DAY, time(13, 30)), at(SUMMER_DAY, time(17)))]


def test_r5_sessions_are_shanghai_time() -> None:
    morning = day_sessions(WINTER_DAY, summer=False)[0]
    # 08:30 in Shanghai (UTC+8, no DST) is 00:30 UTC the same day.
    assert morning.span.start_ms == int(datetime(2026, 11, 18, 0, 30, tzinfo=UTC).timestamp() * 1000)


def test_r5_closed_day_and_rest_days_have_no_sessions_saturday_service_does() -> None:
    closed = WindowSchedule(closed_dates={WINTER_DAY})
    assert sessions_for_day(WINTER_DAY, DayKind.WORKING, False, closed) == []
    saturday = date(2026, 11, 21)
    assert sessions_for_day(saturday, DayKind.REST, False) == []
    spans = ((time(9), time(12)), (time(13), time(16)))
    sat = sessions_for_day(saturday, DayKind.REST, False, WindowSchedule(saturday_spans=spans))
    assert [s.name for s in sat] == ["saturday-1", "saturday-2"]
    holiday = date(2026, 10, 3)
    assert sessions_for_day(holiday, DayKind.HOLIDAY, False, WindowSchedule(saturday_spans=spans)) == []


def test_worked_example_6_winter_two_closures() -> None:
    found = find_closures(1, day_sessions(WINTER_DAY, False), pad_off(WINTER_DAY, time(11, 50), time(13, 10)))
    assert names(found) == ["morning", "afternoon"]
    assert [c.off.end_ms - c.off.start_ms for c in found] == [10 * MIN, 10 * MIN]
    assert all(c.excuse is None for c in found)


def test_worked_example_6_summer_only_the_morning_closure() -> None:
    found = find_closures(1, day_sessions(SUMMER_DAY, True), pad_off(SUMMER_DAY, time(11, 50), time(13, 10)))
    assert names(found) == ["morning"]


def test_r5_interval_across_noon_with_noon_duty_touches_three_sessions() -> None:
    sched = WindowSchedule(noon_duty_weekdays={2})
    found = find_closures(1, day_sessions(WINTER_DAY, False, sched),
                          pad_off(WINTER_DAY, time(11, 0), time(14, 0)))
    assert names(found) == ["morning", "noon", "afternoon"]


def test_r5_11_to_14_is_two_closures() -> None:
    found = find_closures(1, day_sessions(WINTER_DAY, False), pad_off(WINTER_DAY, time(11), time(14)))
    assert names(found) == ["morning", "afternoon"]


def test_r5_grace_exactly_met_counts_one_ms_short_does_not() -> None:
    start = at(WINTER_DAY, time(10))
    sessions = day_sessions(WINTER_DAY, False)
    for length, expected in ((3 * MIN, 1), (3 * MIN - 1, 0)):
        facts = [PowerFact("pad-1", "on", Span(at(WINTER_DAY, time(7)), start)),
                 PowerFact("pad-1", "off", Span(start, start + length), "will"),
                 PowerFact("pad-1", "on", Span(start + length, at(WINTER_DAY, time(19))))]
        assert len(find_closures(1, sessions, facts)) == expected, length


def test_r5_late_switch_on_is_a_closure_for_the_late_part() -> None:
    facts = power(WINTER_DAY, ("off", time(0), time(8, 45)), ("on", time(8, 45), time(19)))
    (closure,) = find_closures(1, day_sessions(WINTER_DAY, False), facts)
    assert closure.cause == "late_start"
    assert closure.off == Span(at(WINTER_DAY, time(8, 30)), at(WINTER_DAY, time(8, 45)))


def test_r5_no_pad_on_all_day_is_a_closure_per_session() -> None:
    found = find_closures(1, day_sessions(WINTER_DAY, False), [])
    assert names(found) == ["morning", "afternoon"] and {c.cause for c in found} == {"never_on"}


def test_worked_example_5_police_window_logged_not_deducted() -> None:
    found = find_closures(1, day_sessions(WINTER_DAY, False), pad_off(WINTER_DAY, time(9), time(10, 30)),
                          placard=True)
    assert len(found) == 1 and found[0].excuse == "placard"


def test_r5d_unknown_is_excused_unless_off_evidence_reaches_grace() -> None:
    sessions = day_sessions(WINTER_DAY, False)
    unknown = power(WINTER_DAY, ("on", time(7), time(9)), ("unknown", time(9), time(10)),
                    ("on", time(10), time(19)))
    (c,) = find_closures(1, sessions, unknown)
    assert c.excuse == "host_down"
    mixed = power(WINTER_DAY, ("on", time(7), time(9)), ("off", time(9), time(9, 5)),
                  ("unknown", time(9, 5), time(10)), ("on", time(10), time(19)))
    (c,) = find_closures(1, sessions, mixed)
    assert c.excuse is None and c.off == Span(at(WINTER_DAY, time(9)), at(WINTER_DAY, time(10)))
    # No facts at all while the host was down: no evidence either (R5 d).
    gap = power(WINTER_DAY, ("on", time(7), time(9)), ("on", time(10), time(19)))
    down = [Span(at(WINTER_DAY, time(8, 59)), at(WINTER_DAY, time(10, 1)))]
    (c,) = find_closures(1, sessions, gap, host_down=down)
    assert c.excuse == "host_down"
    (c,) = find_closures(1, sessions, gap)
    assert c.excuse is None and c.cause == "no_data"


def test_r7_fault_or_outage_overlap_excuses() -> None:
    facts = pad_off(WINTER_DAY, time(9), time(9, 30))
    sessions = day_sessions(WINTER_DAY, False)
    fault = ExcuseSpan(Span(at(WINTER_DAY, time(9, 29)), at(WINTER_DAY, time(11))), "fault:7")
    (c,) = find_closures(1, sessions, facts, excuses=[fault])
    assert c.excuse == "fault:7"
    elsewhere = ExcuseSpan(Span(at(WINTER_DAY, time(9, 30)), at(WINTER_DAY, time(11))), "fault:8")
    (c,) = find_closures(1, sessions, facts, excuses=[elsewhere])
    assert c.excuse is None                    # touching at the end is no overlap (half-open)


def test_r10_two_pads_on_one_window_either_on_is_on() -> None:
    # A swap at 10:00: pad-1 until 10:00, pad-2 from 10:02 (2 min gap, under the grace period).
    facts = [PowerFact("pad-1", "on", Span(at(WINTER_DAY, time(7)), at(WINTER_DAY, time(10)))),
             PowerFact("pad-2", "on", Span(at(WINTER_DAY, time(10, 2)), at(WINTER_DAY, time(19))))]
    assert find_closures(1, day_sessions(WINTER_DAY, False), facts) == []


def test_month_so_far_cuts_at_now() -> None:
    facts = power(WINTER_DAY, ("on", time(7), time(9)), ("off", time(9), time(19)))
    now = at(WINTER_DAY, time(9, 2))
    assert find_closures(1, day_sessions(WINTER_DAY, False), facts, until_ms=now) == []
    now = at(WINTER_DAY, time(9, 3))
    assert names(find_closures(1, day_sessions(WINTER_DAY, False), facts, until_ms=now)) == ["morning"]

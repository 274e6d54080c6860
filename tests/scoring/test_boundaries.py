"""Boundaries end to end (R3-R5, R10, R11): volume brackets, shortfall brackets, grace, 调休, swaps."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlmodel import select

from host.calendar.config import declare_year, set_calendar_days
from host.rules.calendar import CalendarMissing
from host.rules.score import shown
from host.scoring.months import month_view
from tests.scoring.world import MIN, NOV, NOV_END, NOV_START, World, always_on_window, sh

WORKDAY = date(2026, 11, 18)


def results(world: World, month: str = NOV):  # type: ignore[no-untyped-def]
    with world.session() as s:
        return month_view(s, month, world.clock).results


# V -> standard count (R3); with N = S = 30 the shortfall D and its points (R4) follow.
VOLUME_CASES = [(0, 0, "5.00"), (1, 1, "5.00"), (50, 35, "4.00"), (51, 31, "4.00"), (100, 60, "2.00"),
                (101, 51, "2.00"), (200, 100, "0.00"), (201, 100, "0.00")]


def test_r3_r4_volume_boundaries_end_to_end(world: World) -> None:
    """V = 0/1/50/51/100/101/200/201, one window each, in one database."""
    for i in range(len(VOLUME_CASES)):
        wid = always_on_window(world, f"V{i}")
        world.evals(f"pad-V{i}", wid, sh(WORKDAY, time(9)), satisfied=30)
    world.volume(NOV, **{f"V{i}": v for i, (v, _, _) in enumerate(VOLUME_CASES)})
    got = [(r.score.volume, r.score.standard, r.score.valid, shown(r.score.final)) for r in results(world)]
    assert got == [(v, std, 30, final) for v, std, final in VOLUME_CASES]


def test_r4_shortfall_boundaries_end_to_end(world: World) -> None:
    """Shortfall 10/11/40/41 against a standard count of 100 (V = 250)."""
    cases = [(10, 1), (11, 2), (40, 4), (41, 5)]
    for shortfall, _ in cases:
        wid = always_on_window(world, f"S{shortfall}")
        world.evals(f"pad-S{shortfall}", wid, sh(WORKDAY, time(9)), satisfied=100 - shortfall)
    world.volume(NOV, **{f"S{d}": 250 for d, _ in cases})
    got = []
    for r in results(world):
        (d,) = r.score.deductions
        got.append((d.kind, d.points, r.score.final))
    assert got == [("shortfall", p, max(0, 5 - p)) for _, p in cases]


def test_r5_grace_exactly_met_and_one_ms_short(world: World) -> None:
    start = sh(WORKDAY, time(10))
    always_on_window(world, "G1", offs=((start, start + 3 * MIN),))          # exactly the grace period
    always_on_window(world, "G2", offs=((start, start + 3 * MIN - 1),))      # 1 ms short
    met, short = results(world)
    assert [(c.session.name, c.off.end_ms - c.off.start_ms) for c in met.closures] == [("morning", 3 * MIN)]
    assert short.closures == ()


def test_r5_grace_is_configurable(world: World) -> None:
    from host.calendar.config import set_setting

    start = sh(WORKDAY, time(10))
    always_on_window(world, offs=((start, start + 4 * MIN),))
    with world.session() as s:
        set_setting(s, world.clock, "grace_ms", str(5 * MIN), by="mgmt:zhao",
                    reason="center decision 2026-11")
        s.commit()
    (r,) = results(world)
    assert r.closures == ()


def test_r5_make_up_saturday_is_a_working_day(world: World) -> None:
    """2026-10-10 is a 调休 Saturday (chinesecalendar): a pad off all that day has two closures."""
    sat = date(2026, 10, 10)
    wid = always_on_window(world, offs=((sh(sat, time(7)), sh(sat, time(19))),),
                           start=sh(date(2026, 10, 1)), end=sh(date(2026, 11, 1)))
    world.evals("pad-A01", wid, sh(date(2026, 10, 12), time(9)), satisfied=10)
    (r,) = results(world, "2026-10")
    assert [(c.session.day, c.session.name) for c in r.closures] == [(sat, "morning"), (sat, "afternoon")]
    assert r.score.final == 3


def test_r5_holidays_and_weekends_have_no_sessions(world: World) -> None:
    """Off 1-7 October (National Day) and an ordinary Saturday: no closures."""
    always_on_window(world, offs=((sh(date(2026, 10, 1)), sh(date(2026, 10, 8))),
                                  (sh(date(2026, 10, 17)), sh(date(2026, 10, 19)))),
                     start=sh(date(2026, 10, 1)), end=sh(date(2026, 11, 1)))
    (r,) = results(world, "2026-10")
    assert r.closures == ()


def test_r5_missing_calendar_year_is_an_error_until_entered(world: World) -> None:
    world.clock.set(sh(date(2027, 2, 2)))
    always_on_window(world, start=sh(date(2027, 1, 1)), end=sh(date(2027, 2, 1)))
    with pytest.raises(CalendarMissing, match=r"2027-01-01.*evalpad calendar set"):
        results(world, "2027-01")
    with world.session() as s:
        set_calendar_days(s, world.clock, [date(2027, 1, 1)], False, by="mgmt:zhao",
                          reason="国务院办公厅 2027 holiday notice")
        s.commit()
    with pytest.raises(CalendarMissing, match="2027-01-02"):   # a Saturday: could be 调休
        results(world, "2027-01")                   # one entered date does not cover the year
    with world.session() as s:
        declare_year(s, world.clock, 2027, by="mgmt:zhao", reason="2027 notice entered")
        s.commit()
    (r,) = results(world, "2027-01")
    assert r.closures == ()


def test_r10_pad_swapped_mid_month(world: World) -> None:
    """pad-1 sits on A01 until 15 Nov 10:00, then goes to repair (off) and later to A02; pad-2 replaces it."""
    swap = sh(date(2026, 11, 16), time(10))
    a01 = world.window("A01")
    a02 = world.window("A02")
    world.pad("pad-1", a01, NOV_START - 1, swap)
    world.pad("pad-2", a01, swap)
    world.pad("pad-1", a02, sh(date(2026, 11, 20)))
    world.power("pad-1", "on", NOV_START - 1, swap)
    world.power("pad-1", "off", swap, sh(date(2026, 11, 20)), "power_off")   # in repair: not A01's closure
    world.power("pad-1", "on", sh(date(2026, 11, 20)), None)
    world.power("pad-2", "on", swap + 2 * MIN, None)                        # 2 min < grace
    world.evals("pad-1", a01, sh(date(2026, 11, 10), time(9)), satisfied=5)
    world.evals("pad-2", a01, sh(date(2026, 11, 17), time(9)), satisfied=3, unsatisfied=2)
    a, b = results(world)
    assert (a.score.valid, a.score.satisfied, a.closures, a.pads) == (10, 8, (), ("pad-1", "pad-2"))
    # A02 had no pad before the 20th: nothing to judge before its first pad (R5), noted on the report.
    assert b.pads == ("pad-1",) and b.closures == ()
    assert any("首台评价器于 2026-11-20" in n for n in b.notes)


def test_r5_window_whose_pad_never_came_on_has_closures(world: World) -> None:
    wid = world.window("A01")
    world.pad("pad-1", wid, NOV_START - 1)         # installed, never switched on
    (r,) = results(world)
    assert len(r.closures) == 2 * 21 and {c.cause for c in r.closures} == {"never_on"}
    assert r.score.final is None or r.score.final == 0


def test_r5_intervals_open_at_now_month_so_far(world: World) -> None:
    """Month so far: the clock at 10:00 on 18 Nov, the pad off since 09:00 (open interval)."""
    world.clock.set(sh(WORKDAY, time(10)))
    wid = world.window("A01")
    world.pad("pad-A01", wid, NOV_START - 1)
    world.power("pad-A01", "on", NOV_START - 1, sh(WORKDAY, time(9)))
    world.power("pad-A01", "off", sh(WORKDAY, time(9)), None, "will")
    with world.session() as s:
        view = month_view(s, NOV, world.clock, [wid])
    (r,) = view.results
    assert view.status == "running" and view.until_ms == world.clock.now_ms()
    (c,) = r.closures
    assert (c.off.end_ms - c.off.start_ms, c.cause) == (60 * MIN, "will")


def test_no_volume_is_shown_not_guessed(world: World) -> None:
    wid = always_on_window(world)
    world.evals("pad-A01", wid, sh(WORKDAY, time(9)), satisfied=4)
    (r,) = results(world)
    assert (r.score.volume, r.score.volume_source, r.score.standard) == (None, "none", 0)
    assert any("没有业务受理量" in n for n in r.notes)


def test_events_of_other_months_do_not_count(world: World) -> None:
    wid = always_on_window(world)
    world.evals("pad-A01", wid, NOV_START - 1, satisfied=1)        # 31 Oct 23:59:59.999 Shanghai
    world.evals("pad-A01", wid, NOV_END, satisfied=1)              # 1 Dec 00:00 Shanghai
    world.evals("pad-A01", wid, NOV_START, satisfied=1, unsatisfied=1)
    (r,) = results(world)
    assert (r.score.valid, r.score.satisfied) == (2, 1)


def test_window_retired_mid_month_keeps_its_month(world: World) -> None:
    from host.models import Window

    wid = always_on_window(world)
    world.evals("pad-A01", wid, sh(WORKDAY, time(9)), satisfied=2)
    never = world.window("Z99")                    # retired before November, never had a pad
    with world.session() as s:
        for w in (s.get(Window, wid), s.get(Window, never)):
            assert w is not None
            w.active = False
            s.add(w)
        s.commit()
    assert [r.window.number for r in results(world)] == ["A01"]


def test_r5_window_hours_from_the_database(world: World) -> None:
    """Noon duty (Wednesdays), Saturday service 09:00-12:00 and a closed date, configured with audit."""
    from host.calendar.config import set_window_day, set_window_schedule
    from host.models import AuditEntry

    wed, sat, closed = date(2026, 11, 18), date(2026, 11, 21), date(2026, 11, 24)
    offs = ((sh(wed, time(12, 10)), sh(wed, time(12, 40))),          # inside the noon duty session
            (sh(sat, time(9)), sh(sat, time(9, 30))),                # Saturday service
            (sh(date(2026, 11, 28), time(9)), sh(date(2026, 11, 28), time(10))),   # the next Saturday
            (sh(closed, time(0)), sh(closed, time(23, 59))))         # a closed date: no sessions
    wid = always_on_window(world, offs=offs)
    with world.session() as s:
        set_window_schedule(s, world.clock, wid, noon_duty_weekdays="2", saturday_spans="09:00-12:00",
                            by="mgmt:zhao", reason="2026 duty roster")
        set_window_day(s, world.clock, wid, closed, "closed", True, by="mgmt:zhao", reason="staff training")
        s.commit()
        assert {a.action for a in s.exec(select(AuditEntry)).all()} >= {"window.schedule", "window.closed"}
    (r,) = results(world)
    assert [(c.session.day, c.session.name) for c in r.closures] == [
        (wed, "noon"), (sat, "saturday-1"), (date(2026, 11, 28), "saturday-1")]
    assert r.closed_days == (closed,)


def test_r5_configured_summer_range_moves_the_afternoon_start(world: World) -> None:
    """15 June: summer by the shipped default (13:30), winter (13:00) once the center sets July-August."""
    from host.calendar.config import set_summer

    day = date(2026, 6, 15)
    wid = always_on_window(world, offs=((sh(day, time(11, 50)), sh(day, time(13, 10))),),
                           start=sh(date(2026, 6, 1)), end=sh(date(2026, 7, 1)))
    world.evals("pad-A01", wid, sh(day, time(9)), satisfied=1)
    (r,) = results(world, "2026-06")
    assert [c.session.name for c in r.closures] == ["morning"]
    with world.session() as s:
        set_summer(s, world.clock, 2026, date(2026, 7, 1), date(2026, 8, 31), by="mgmt:zhao",
                   reason="center notice: summer hours July-August")
        s.commit()
        view = month_view(s, "2026-06", world.clock)
    assert [c.session.name for c in view.results[0].closures] == ["morning", "afternoon"]
    assert view.assumptions == ()                 # configured: no longer an assumption


def test_r11_late_event_listed_through_the_report_of_a_closed_month(world: World) -> None:
    from host.scoring.months import close_month

    wid = always_on_window(world)
    with world.session() as s:
        close_month(s, NOV, world.clock, by="mgmt:zhao", reason="fed back")
    world.clock.advance(3_600_000)
    world.evals("pad-A01", wid, sh(WORKDAY, time(9)), satisfied=1, received_ms=world.clock.now_ms())
    with world.session() as s:
        view = month_view(s, NOV, world.clock, [wid])
    assert view.status == "closed" and len(view.late_events) == 1
    assert view.results[0].score.valid == 0 and not view.results[0].score.rated

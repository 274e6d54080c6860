"""The six worked examples of rules.md, end to end: rows in a real database -> the monthly report.

Each runs on SQLite and PostgreSQL (``db_url``). Evaluations are Event rows, the pad's
on/off history PowerInterval rows, the pad's window an Assignment (R10), V an import (R3).
"""

from __future__ import annotations

from datetime import date, time
from fractions import Fraction

from host.rules.score import shown
from host.scoring.months import month_view
from tests.scoring.world import MIN, NOV, World, always_on_window, sh

WORKDAY = date(2026, 11, 18)                  # a Wednesday


def one(world: World, month: str = NOV):  # type: ignore[no-untyped-def]
    with world.session() as s:
        (r,) = month_view(s, month, world.clock).results
    return r


def test_worked_example_1_shortfall_one_point(world: World) -> None:
    """V=80, N=40, S=36: standard 48, D=8 -> -1; base 4.5; final 3.50 (R2-R4, R8)."""
    wid = always_on_window(world)
    world.evals("pad-A01", wid, sh(WORKDAY, time(9)), satisfied=36, unsatisfied=4)
    world.volume(NOV, A01=80)
    r = one(world)
    s = r.score
    assert (s.volume, s.volume_source, s.standard, s.valid, s.satisfied) == (80, "import", 48, 40, 36)
    assert s.base == Fraction(9, 2) and r.closures == ()
    assert [(d.kind, d.points, d.counts) for d in s.deductions] == [("shortfall", 1, True)]
    assert shown(s.final) == "3.50"


def test_worked_example_2_fault_waives_one_of_two_closures(world: World) -> None:
    """V=250, N=S=120; two closures, one covered by an IT-confirmed pad fault -> final 4.00 (R5, R7)."""
    from host.faults import acknowledge, open_fault, resolve

    first = (sh(date(2026, 11, 10), time(9)), sh(date(2026, 11, 10), time(9, 30)))
    second = (sh(date(2026, 11, 12), time(14)), sh(date(2026, 11, 12), time(15)))
    wid = always_on_window(world, offs=(first, second))
    world.evals("pad-A01", wid, sh(WORKDAY, time(9)), satisfied=120)
    world.volume(NOV, A01=250)
    now = world.clock.now_ms()
    with world.session() as s:
        fault, _ = open_fault(s, source="staff", code="staff_report", at_ms=second[0] - 5 * MIN, now_ms=now,
                              by="staff:li", device_id="pad-A01", detail="screen dark")
        s.commit()
        assert fault.id is not None
        acknowledge(s, fault.id, by="it:wang", now_ms=now)
        resolve(s, fault.id, by="it:wang", verdict="pad_fault", notes="display cable replaced", now_ms=now,
                cleared_ms=second[1])
    r = one(world)
    assert r.score.standard == 100 and r.score.base == 5
    assert [(c.session.day, c.excuse) for c in r.closures] == [
        (date(2026, 11, 10), None), (date(2026, 11, 12), f"fault:{fault.id}")]
    closures = [d for d in r.score.deductions if d.kind == "closure"]
    assert [d.counts for d in closures] == [True, False]
    assert "R7" in (closures[1].waiver or "")                # shown as waived, not hidden
    assert shown(r.score.final) == "4.00"


def test_worked_example_3_never_negative(world: World) -> None:
    """V=10, N=0: standard 7, D=7 -> -1; base 0; final 0.00, never negative (R8, R9)."""
    always_on_window(world)
    world.volume(NOV, A01=10)
    s = one(world).score
    assert (s.standard, s.valid, s.base, s.rated) == (7, 0, 0, True)
    assert shown(s.final) == "0.00"


def test_worked_example_4_not_rated(world: World) -> None:
    """V=0, N=0: not rated, shown as —, left out of the ranking (R9)."""
    always_on_window(world)
    other = always_on_window(world, "A02")
    world.evals("pad-A02", other, sh(WORKDAY, time(10)), satisfied=3)
    world.volume(NOV, A01=0, A02=0)
    with world.session() as s:
        a, b = month_view(s, NOV, world.clock).results
    assert not a.score.rated and shown(a.score.final) == "—" and a.rank is None
    assert b.score.rated and b.rank == 1


def test_worked_example_5_police_window_closure_logged_not_deducted(world: World) -> None:
    """Traffic police window off 09:00-10:30 on a working day: one closure, logged, not deducted (R5a)."""
    off = (sh(WORKDAY, time(9)), sh(WORKDAY, time(10, 30)))
    wid = always_on_window(world, category="police_traffic", offs=(off,))
    world.evals("pad-A01", wid, sh(WORKDAY, time(11)), satisfied=2)
    world.volume(NOV, A01=0)
    r = one(world)
    (c,) = r.closures
    assert c.excuse == "placard" and c.session.name == "morning"
    (d,) = r.score.deductions
    assert d.kind == "closure" and not d.counts and "R5a" in (d.waiver or "")
    assert r.score.final == 5


def test_worked_example_6_winter_two_closures(world: World) -> None:
    """Winter, off 11:50-13:10: morning and afternoon sessions touched -> two closures, -2 (R5)."""
    off = (sh(WORKDAY, time(11, 50)), sh(WORKDAY, time(13, 10)))
    wid = always_on_window(world, offs=(off,))
    world.evals("pad-A01", wid, sh(WORKDAY, time(9)), satisfied=10)
    world.volume(NOV, A01=0)
    r = one(world)
    assert [(c.session.name, (c.off.end_ms - c.off.start_ms) // MIN) for c in r.closures] == \
        [("morning", 10), ("afternoon", 10)]
    assert shown(r.score.final) == "3.00"


def test_worked_example_6_summer_one_closure(world: World) -> None:
    """The same times on the summer schedule: the afternoon starts 13:30 -> only the morning, -1 (R5)."""
    jul_start, jul_end = sh(date(2026, 7, 1)), sh(date(2026, 8, 1))
    day = date(2026, 7, 15)
    off = (sh(day, time(11, 50)), sh(day, time(13, 10)))
    wid = always_on_window(world, offs=(off,), start=jul_start, end=jul_end)
    world.evals("pad-A01", wid, sh(day, time(9)), satisfied=10)
    world.volume("2026-07", A01=0)
    r = one(world, "2026-07")
    assert [c.session.name for c in r.closures] == ["morning"]
    assert shown(r.score.final) == "4.00"
    with world.session() as s:
        view = month_view(s, "2026-07", world.clock)
    assert any("出厂默认值，是假定" in a for a in view.assumptions)   # the default summer range

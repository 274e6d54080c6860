"""R7 with R10: a fault waives only while its pad sat on that window (issue 17).

The hidden scenario's one failing window, reproduced exactly: pads w06 and w07 exchanged
windows on 10-20 at 11:38; IT had confirmed a pad fault on w06 from 10-18 22:29 to 10-19 09:25,
while w06 sat on W06. W07's confirmed no_prompt violation of 10-19 09:00 happened while W07's
pad was w07 (no fault): it must count (final 0.00), not be waived (0.86).
"""

from __future__ import annotations

from datetime import date, time
from fractions import Fraction

from host.rules.score import shown
from host.scoring.months import month_view
from host.scoring.view import WindowResult
from tests.scoring.world import DAY_MS, MIN, World, sh

OCT = "2026-10"
OCT_START, OCT_END = sh(date(2026, 10, 1)), sh(date(2026, 11, 1))
EXCHANGE = sh(date(2026, 10, 20), time(11, 38))
FAULT = (sh(date(2026, 10, 18), time(22, 29)), sh(date(2026, 10, 19), time(9, 25)))
NO_PROMPT_AT = sh(date(2026, 10, 19), time(9))


def exchanged_pads(world: World, *offs: tuple[str, int, int]) -> tuple[int, int]:
    """W06 and W07 with pads w06 and w07 that exchange windows at 10-20 11:38, on all month
    except ``offs`` (pad, start, end)."""
    w06, w07 = world.window("W06"), world.window("W07")
    world.pad("w06", w06, OCT_START - DAY_MS, EXCHANGE)
    world.pad("w07", w07, OCT_START - DAY_MS, EXCHANGE)
    world.pad("w06", w07, EXCHANGE)
    world.pad("w07", w06, EXCHANGE)
    for dev in ("w06", "w07"):
        world.on_except(dev, OCT_START - DAY_MS, OCT_END + DAY_MS,
                        *((a, b) for d, a, b in offs if d == dev))
    return w06, w07


def confirmed_pad_fault(world: World, dev: str, start: int, end: int) -> int:
    from host.faults import acknowledge, open_fault, resolve

    now = world.clock.now_ms()
    with world.session() as s:
        fault, _ = open_fault(s, source="staff", code="staff_report", at_ms=start, now_ms=now,
                              by="staff:li", device_id=dev, detail="screen blank")
        s.commit()
        assert fault.id is not None
        acknowledge(s, fault.id, by="it:wang", now_ms=now)
        resolve(s, fault.id, by="it:wang", verdict="pad_fault", notes="display replaced", now_ms=now,
                cleared_ms=end)
        return fault.id


def confirmed_violation(world: World, window_id: int, kind: str, at_ms: int) -> None:
    from host.violations.review import confirm, report

    now = world.clock.now_ms()
    with world.session() as s:
        cand = report(s, window_id=window_id, kind=kind, at_ms=at_ms, by="patrol:sun", source="complaint",
                      detail="citizen says no prompt was shown", now_ms=now)
        assert cand.id is not None
        confirm(s, cand.id, reviewer="mgmt:zhao", reason="complaint upheld", now_ms=now)


def results(world: World) -> dict[str, WindowResult]:
    with world.session() as s:
        return {r.window.number: r for r in month_view(s, OCT, world.clock).results}


def test_r7_fault_of_other_pad_does_not_waive_violation_after_exchange(world: World) -> None:
    """The issue's case exactly: W07 final 0.00, not 0.86."""
    _, w07 = exchanged_pads(world)
    # W07: N = 35, S = 6, so base = 30/35 = 0.857 (shown 0.86); no volume, no closures.
    world.evals("w07", w07, sh(date(2026, 10, 19), time(10)), satisfied=6, unsatisfied=29)
    fault_id = confirmed_pad_fault(world, "w06", *FAULT)
    confirmed_violation(world, w07, "no_prompt", NO_PROMPT_AT)
    r = results(world)["W07"]
    (d,) = [d for d in r.score.deductions if d.kind == "no_prompt"]
    assert (r.score.base, shown(r.score.final), d.waiver) == (Fraction(6, 7), "0.00", None), \
        f"R7: w06's fault #{fault_id} waived W07's violation while w07 sat on W07"


def test_r7_fault_waives_the_violation_of_the_window_its_pad_sat_on(world: World) -> None:
    """The same fault does waive W06's violation at that moment (w06 sat on W06 then)."""
    w06, _ = exchanged_pads(world)
    world.evals("w06", w06, sh(date(2026, 10, 19), time(10)), satisfied=4)
    fault_id = confirmed_pad_fault(world, "w06", *FAULT)
    confirmed_violation(world, w06, "no_prompt", NO_PROMPT_AT)
    r = results(world)["W06"]
    (d,) = [d for d in r.score.deductions if d.kind == "no_prompt"]
    assert d.waiver is not None and f"#{fault_id}" in d.waiver
    assert r.score.final == 5


def test_r7_fault_after_the_exchange_waives_the_new_window_only(world: World) -> None:
    """After 10-20 11:38 w06 sits on W07: its fault then waives W07's violation, not W06's."""
    w06, w07 = exchanged_pads(world)
    later = (sh(date(2026, 10, 21), time(9)), sh(date(2026, 10, 21), time(11)))
    fault_id = confirmed_pad_fault(world, "w06", *later)
    for wid in (w06, w07):
        world.evals("w06" if wid == w07 else "w07", wid, sh(date(2026, 10, 21), time(14)), satisfied=2)
        confirmed_violation(world, wid, "refused", later[0] + 30 * MIN)
    r = results(world)
    (d07,) = r["W07"].score.deductions
    (d06,) = r["W06"].score.deductions
    assert d07.waiver is not None and f"#{fault_id}" in d07.waiver
    assert d06.waiver is None and r["W06"].score.final == Fraction(5, 2)


def test_r7_closure_is_not_excused_by_the_fault_of_another_pad(world: World) -> None:
    """w07 off 10-19 08:30-09:10 on W07; w06 (then on W06) had a confirmed fault: W07's closure counts."""
    off = (sh(date(2026, 10, 19), time(8, 30)), sh(date(2026, 10, 19), time(9, 10)))
    _, w07 = exchanged_pads(world, ("w07", *off))
    world.evals("w07", w07, sh(date(2026, 10, 19), time(10)), satisfied=2)
    confirmed_pad_fault(world, "w06", *FAULT)
    r = results(world)["W07"]
    (c,) = r.closures
    assert c.excuse is None, f"R7: W07's closure excused by {c.excuse}, a fault of a pad on W06"
    assert c.device_id == "w07" and r.score.final == 4


def test_r7_closure_is_excused_by_the_fault_of_its_own_pad(world: World) -> None:
    off = (sh(date(2026, 10, 19), time(8, 30)), sh(date(2026, 10, 19), time(9, 10)))
    w06, _ = exchanged_pads(world, ("w06", *off))
    world.evals("w06", w06, sh(date(2026, 10, 19), time(10)), satisfied=2)
    fault_id = confirmed_pad_fault(world, "w06", *FAULT)
    (c,) = results(world)["W06"].closures
    assert c.excuse == f"fault:{fault_id}"


def test_r7_network_outage_of_a_pad_excuses_only_where_that_pad_sat(world: World) -> None:
    """A mass outage naming w06 (on W06 then) is not W07's: W07's closure at that time counts."""
    from host.faults.log import open_fault
    from host.faults.queries import NETWORK_OUTAGE

    off = (sh(date(2026, 10, 19), time(8, 30)), sh(date(2026, 10, 19), time(9, 10)))
    exchanged_pads(world, ("w06", *off), ("w07", *off))
    with world.session() as s:
        row, _ = open_fault(s, source="host", code=NETWORK_OUTAGE, at_ms=off[0] - MIN,
                            now_ms=world.clock.now_ms(), detail="12 pads offline together")
        row.devices = ["w06", "pad-x", "pad-y"]
        row.cleared_ms = off[1] + MIN
        s.add(row)
        s.commit()
        fid = row.id
    r = results(world)
    (c06,) = r["W06"].closures
    (c07,) = r["W07"].closures
    assert c06.excuse == f"network_outage:{fid}"
    assert c07.excuse is None

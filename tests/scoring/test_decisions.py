"""Decisions the score depends on, end to end (R2, R6, R7, R8): confirmed violations deduct and void,
a pad fault waives, management waives by deduction key, a network outage is not a closure."""

from __future__ import annotations

from datetime import date, time
from fractions import Fraction

from host.rules.score import shown
from host.rules.types import deduction_key
from host.scoring.months import month_view
from tests.scoring.world import MIN, NOV, World, always_on_window, sh

WORKDAY = date(2026, 11, 18)


def result(world: World):  # type: ignore[no-untyped-def]
    with world.session() as s:
        (r,) = month_view(s, NOV, world.clock).results
    return r


def test_r6_confirmed_self_evaluation_deducts_and_voids(world: World) -> None:
    from host.violations.review import confirm, report

    wid = always_on_window(world)
    ids = world.evals("pad-A01", wid, sh(WORKDAY, time(9)), satisfied=4, unsatisfied=0)
    now = world.clock.now_ms()
    with world.session() as s:
        cand = report(s, window_id=wid, kind="self_eval", at_ms=sh(WORKDAY, time(9)), by="patrol:sun",
                      source="patrol", detail="staff pressed satisfied", now_ms=now, subject_event_id=ids[0])
        before = month_view(s, NOV, world.clock).results[0].score
        assert (before.valid, before.final) == (4, 5)          # a candidate alone changes nothing
        assert cand.id is not None
        confirm(s, cand.id, reviewer="mgmt:zhao", reason="video shows staff pressing", now_ms=now)
    s2 = result(world).score
    assert (s2.valid, s2.satisfied) == (3, 3)                  # R2: the voided evaluation is not valid
    (d,) = [d for d in s2.deductions if d.kind == "self_eval"]
    assert d.points == 1 and d.counts and d.rule == "R6"
    assert s2.final == 4


def test_r7_pad_fault_waives_a_violation_at_its_moment(world: World) -> None:
    from host.faults import acknowledge, open_fault, resolve
    from host.violations.review import confirm, report

    wid = always_on_window(world)
    world.evals("pad-A01", wid, sh(WORKDAY, time(9)), satisfied=2)
    now = world.clock.now_ms()
    with world.session() as s:
        cand = report(s, window_id=wid, kind="refused", at_ms=sh(WORKDAY, time(10)), by="patrol:sun",
                      source="complaint", detail="citizen says no prompt shown", now_ms=now)
        assert cand.id is not None
        confirm(s, cand.id, reviewer="mgmt:zhao", reason="complaint upheld", now_ms=now)
        assert result(world).score.final == Fraction(5, 2)     # 拒绝评议 costs 2.5
        fault, _ = open_fault(s, source="staff", code="staff_report", at_ms=sh(WORKDAY, time(9, 30)),
                              now_ms=now, by="staff:li", device_id="pad-A01", detail="prompt screen blank")
        s.commit()
        assert fault.id is not None
        acknowledge(s, fault.id, by="it:wang", now_ms=now)
        resolve(s, fault.id, by="it:wang", verdict="pad_fault", notes="display replaced", now_ms=now,
                cleared_ms=sh(WORKDAY, time(11)))
    r = result(world)
    (d,) = r.score.deductions
    assert d.kind == "refused" and not d.counts and "R7" in (d.waiver or "")
    assert r.score.final == 5


def test_r8_management_waives_the_shortfall_by_key(world: World) -> None:
    from host.waivers import create_waiver

    wid = always_on_window(world)
    world.evals("pad-A01", wid, sh(WORKDAY, time(9)), satisfied=10)
    world.volume(NOV, A01=80)                                  # standard 48: shortfall 38 -> -4
    r = result(world)
    (d,) = r.score.deductions
    assert (d.kind, d.points, shown(r.score.final)) == ("shortfall", 4, "1.00")
    with world.session() as s:
        create_waiver(s, window_id=wid, month=NOV, key=deduction_key(wid, NOV, d),
                      reason="pad in repair 9 days (fault 12)", by="mgmt:zhao", now_ms=world.clock.now_ms())
    r = result(world)
    (d,) = r.score.deductions
    assert not d.counts and "pad in repair 9 days" in (d.waiver or "") and r.score.final == 5


def test_r5_closure_inside_a_network_outage_is_excused(world: World) -> None:
    from host.faults.log import open_fault

    off = (sh(WORKDAY, time(10)), sh(WORKDAY, time(10, 30)))
    wid = always_on_window(world, offs=(off,))
    world.evals("pad-A01", wid, sh(WORKDAY, time(9)), satisfied=2)
    with world.session() as s:
        from host.faults.queries import NETWORK_OUTAGE

        row, _ = open_fault(s, source="host", code=NETWORK_OUTAGE, at_ms=off[0] - MIN,
                            now_ms=world.clock.now_ms(), detail="12 pads offline together")
        row.devices = ["pad-A01", "pad-X"]
        row.cleared_ms = off[1] + MIN
        s.add(row)
        s.commit()
        fid = row.id
    r = result(world)
    (c,) = r.closures
    assert c.excuse == f"network_outage:{fid}" and r.score.final == 5


def test_r7_r2_confirmed_stuck_button_candidate_voids_the_phantom_press(world: World) -> None:
    """A satisfied button goes down and sticks: the pad counts one press, then reports button_stuck
    ~10 s later. Detection flags that evaluation (with the fault as evidence) for the management
    section; confirming it voids the evaluation (R2) and deducts nothing."""
    from host.models import Event
    from host.violations import confirm, detect_month, list_candidates

    wid = always_on_window(world)
    world.evals("pad-A01", wid, sh(WORKDAY, time(9)), satisfied=0, unsatisfied=3)
    (phantom,) = world.evals("pad-A01", wid, sh(WORKDAY, time(10)), satisfied=1)
    with world.session() as s:
        at = sh(WORKDAY, time(10)) + 10_400
        fault = Event(device_id="pad-A01", seq=999, boot=1, up_ms=999, type="fault", at_ms=at, received_ms=at,
                      window_id=wid, body={"type": "fault", "code": "button_stuck",
                                           "detail": "held > 10 s: satisfied"})
        s.add(fault)
        s.commit()
        assert (result(world).score.valid, result(world).score.satisfied) == (4, 1)
        detect_month(s, NOV, now_ms=world.clock.now_ms())
        (cand,) = list_candidates(s, month=NOV, kind="stuck_button")
        assert (cand.subject_event_id, cand.evidence, cand.status) == (phantom, [phantom, fault.id], "open")
        assert cand.id is not None
        confirm(s, cand.id, reviewer="mgmt:zhao", reason="IT confirmed the stuck key",
                now_ms=world.clock.now_ms())
    r = result(world)
    assert (r.score.valid, r.score.satisfied, r.score.final) == (3, 0, 0)
    assert [d.kind for d in r.score.deductions] == []

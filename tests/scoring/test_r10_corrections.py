"""R10/R11/R12: a swap recorded after the fact at its real time (host.corrections), on SQLite and
PostgreSQL: events follow the corrected history, held-back events are placed, faults attribute by
it, a closed month is never changed but lists the correction, everything is audited, and bad input
is refused with what to record instead (nothing stored)."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlmodel import select

from host.corrections import Move, correct, list_corrections, parse_moves, settle
from host.errors import Conflict, Invalid, NotFound, ServiceError
from host.ingest.batch import BatchProcessor
from host.ingest.inbox import Received
from host.ingest.liveness import Liveness
from host.models import Assignment, AuditEntry, Device, Event, RejectedMessage, Window
from host.scoring.months import close_month, month_view, reopen_month
from protocol import messages
from tests.scoring.world import DAY_MS, MIN, World, sh

OCT = "2026-10"
OCT_START = sh(date(2026, 10, 1))
SWAP = sh(date(2026, 10, 20), time(11, 38))          # what really happened
IT = "it:wang"


def two_windows(world: World) -> tuple[int, int]:
    """W06 with pad w06 and W07 with pad w07 since before October (the record has no exchange)."""
    w06, w07 = world.window("W06"), world.window("W07")
    world.pad("w06", w06, OCT_START - DAY_MS)
    world.pad("w07", w07, OCT_START - DAY_MS)
    return w06, w07


def history(world: World) -> list[tuple[str, str, int, int | None]]:
    with world.session() as s:
        num = {w.id: w.number for w in s.exec(select(Window)).all()}
        rows = s.exec(select(Assignment)).all()
        return sorted((a.device_id, num[a.window_id], a.start_ms, a.end_ms) for a in rows)


def n_of(world: World, month: str = OCT) -> dict[str, int]:
    with world.session() as s:
        return {r.window.number: r.score.valid for r in month_view(s, month, world.clock).results}


def test_r10_correction_exchange_reattributes_stored_events(world: World) -> None:
    """w06 and w07 really exchanged at 10-20 11:38; IT records it in December. Events from then on
    follow the corrected history; before it nothing moves; the change is audited (R12)."""
    w06, w07 = two_windows(world)
    before = world.evals("w06", w06, SWAP - 60 * MIN, satisfied=2)          # before the swap: stay
    after06 = world.evals("w06", w06, SWAP + 10 * MIN, satisfied=3)         # really on W07
    after07 = world.evals("w07", w07, SWAP + 20 * MIN, satisfied=0, unsatisfied=4)   # really on W06
    assert n_of(world) == {"W06": 5, "W07": 4}
    with world.session() as s:
        r = correct(s, moves=[Move("w06", "W07"), Move("w07", "W06")], at_ms=SWAP, clock=world.clock,
                    actor=IT, reason="10-20 11:38 两台评价器对调，当时未登记")
    assert r.moved == {("W06", "W07"): 3, ("W07", "W06"): 4} and r.unplaced == 0 and r.closed_months == []
    assert history(world) == [
        ("w06", "W06", OCT_START - DAY_MS, SWAP), ("w06", "W07", SWAP, None),
        ("w07", "W06", SWAP, None), ("w07", "W07", OCT_START - DAY_MS, SWAP)]
    with world.session() as s:
        where = {e.id: e.window_id for e in s.exec(select(Event)).all()}
        (entry,) = s.exec(select(AuditEntry).where(AuditEntry.action == "assignment.correct")).all()
    assert {where[i] for i in before} == {w06}
    assert {where[i] for i in after06} == {w07} and {where[i] for i in after07} == {w06}
    assert n_of(world) == {"W06": 6, "W07": 3}
    assert entry.actor == IT and "对调" in entry.reason
    assert entry.detail["moved_at_ms"] == SWAP and entry.detail["events_moved"] == 7
    assert {(i["device"], i["window"], i["end_ms"]) for i in entry.detail["before"]} == {
        ("w06", "W06", None), ("w07", "W07", None)}
    assert {(i["device"], i["window"], i["start_ms"]) for i in entry.detail["after"]} == {
        ("w06", "W06", OCT_START - DAY_MS), ("w07", "W07", OCT_START - DAY_MS),
        ("w06", "W07", SWAP), ("w07", "W06", SWAP)}
    with world.session() as s:
        (row,) = list_corrections(s)
        assert (row.by, row.at_ms, len(row.moved)) == (IT, SWAP, 7)


def test_r7_after_a_correction_a_fault_waives_where_its_pad_really_sat(world: World) -> None:
    """w06's confirmed fault after the (corrected) exchange waives W07's violation, not W06's."""
    from tests.scoring.test_r7_r10_intervals import confirmed_pad_fault, confirmed_violation

    w06, w07 = two_windows(world)
    fault = (SWAP + 60 * MIN, SWAP + 120 * MIN)
    confirmed_pad_fault(world, "w06", *fault)
    for wid in (w06, w07):
        world.evals("w06" if wid == w06 else "w07", wid, SWAP - 120 * MIN, satisfied=2)
        confirmed_violation(world, wid, "no_prompt", fault[0] + 10 * MIN)

    def waived() -> dict[str, bool]:
        with world.session() as s:
            return {r.window.number: all(not d.counts for d in r.score.deductions if d.rule == "R6")
                    for r in month_view(s, OCT, world.clock).results}

    assert waived() == {"W06": True, "W07": False}
    with world.session() as s:
        correct(s, moves=[Move("w06", "W07"), Move("w07", "W06")], at_ms=SWAP, clock=world.clock, actor=IT,
                reason="exchange recorded late")
    assert waived() == {"W06": False, "W07": True}


def received(dev: str, seq: int, at_ms: int) -> Received:
    payload = messages.encode(messages.event(dev, seq, 1, 1000 * seq, at_ms, "eval", rating="satisfied",
                                             prompted=True))
    return Received(topic=f"evalpad/v1/{dev}/event", payload=payload, received_ms=at_ms + 500, mid=seq, qos=1,
                    retained=False, generation=0)


def test_r10_correction_places_held_back_events_of_a_spare(world: World) -> None:
    """Spare w09 really replaced w06 on W06 at 11:38; its presses were held back (on no window,
    R10). The correction puts it there from 11:38: settle() replays them onto W06; w06 is off W06
    from then on and its own events after 11:38 are on no window."""
    w06, _ = two_windows(world)
    with world.session() as s:
        s.add(Device(id="w09", registered_ms=OCT_START))
        s.commit()
        out = BatchProcessor(Liveness(3.0, "test")).process(
            s, [received("w09", seq, SWAP + seq * 5 * MIN) for seq in (1, 2, 3)])
        s.commit()
        assert out.rejected == {"unassigned": 3}
    stray = world.evals("w06", w06, SWAP + 30 * MIN, satisfied=1)          # w06 was already off to repair
    with world.session() as s:
        r = correct(s, moves=parse_moves(["w09=W06"]), at_ms=SWAP, clock=world.clock, actor=IT,
                    reason="11:38 换上备用机 w09，w06 送修")
    assert r.unplaced == 1 and r.moved == {("W06", "-"): 1}
    done = settle(world.engine, r, world.clock)
    assert done.replayed == 3
    with world.session() as s:
        placed = s.exec(select(Event).where(Event.device_id == "w09")).all()
        assert {e.window_id for e in placed} == {w06} and len(placed) == 3
        assert s.get(Event, stray[0]).window_id is None                      # type: ignore[union-attr]
        assert all(m.replayed_ms is not None for m in s.exec(select(RejectedMessage)).all())
    assert history(world) == [("w06", "W06", OCT_START - DAY_MS, SWAP),
                              ("w07", "W07", OCT_START - DAY_MS, None), ("w09", "W06", SWAP, None)]


def test_r10_correction_joins_a_swap_registered_late_with_live_assign(world: World) -> None:
    """IT ran `device assign w09 --window W06` only today: the correction moves its start back to
    11:38 yesterday (one interval, not two), and w06's record ends then."""
    from host import fleet

    two_windows(world)
    with world.session() as s:
        s.add(Device(id="w09", registered_ms=OCT_START))
        s.commit()
        fleet.assign(s, device_id="w09", window_number="W06", clock=world.clock, actor=IT, reason="swap")
        s.commit()
        correct(s, moves=[Move("w09", "W06")], at_ms=SWAP, clock=world.clock, actor=IT,
                reason="the swap was at 10-20 11:38")
    assert history(world) == [("w06", "W06", OCT_START - DAY_MS, SWAP),
                              ("w07", "W07", OCT_START - DAY_MS, None), ("w09", "W06", SWAP, None)]


def test_r11_correction_into_a_closed_month_is_listed_like_a_late_event(world: World) -> None:
    """October is closed: its report stays as fed back and lists the correction with the events it
    re-attributed; after a reopen the month counts them."""
    w06, w07 = two_windows(world)
    world.evals("w06", w06, SWAP + 10 * MIN, satisfied=3)
    world.evals("w07", w07, SWAP - 10 * MIN, satisfied=1)
    with world.session() as s:
        close_month(s, OCT, world.clock, by="mgmt:zhao", reason="10月考核")
    world.clock.advance(MIN)
    with world.session() as s:
        r = correct(s, moves=[Move("w06", "W07"), Move("w07", "W06")], at_ms=SWAP, clock=world.clock,
                    actor=IT, reason="exchange recorded late")
    assert r.closed_months == [OCT]                       # November and December are not closed
    with world.session() as s:
        view = month_view(s, OCT, world.clock)
    assert view.status == "closed"
    assert {x.window.number: x.score.valid for x in view.results} == {"W06": 3, "W07": 1}
    (late,) = view.late_corrections
    assert late["by"] == IT and late["at_ms"] == SWAP and len(late["events"]) == 3
    assert {(e["from_window_id"], e["to_window_id"]) for e in late["events"]} == {(w06, w07)}
    with world.session() as s:
        scoped = month_view(s, OCT, world.clock, [w07])
        reopen_month(s, OCT, world.clock, by="mgmt:zhao", reason="对调补登")
    assert len(scoped.late_corrections) == 1
    assert n_of(world) == {"W06": 0, "W07": 4}


BAD: list[tuple[str, list[Move], int, str, type[ServiceError], str]] = [
    ("future", [Move("w06", "W07")], 1, "x", Invalid, "晚于现在"),
    ("no reason", [Move("w06", "W07")], 0, " ", Invalid, "必须写明原因"),
    ("no move", [], 0, "x", Invalid, "至少要有一次调动"),
    ("pad twice", [Move("w06", "W07"), Move("w06", "W06")], 0, "x", Invalid, "写了两次"),
    ("window twice", [Move("w06", "W08"), Move("w07", "W08")], 0, "x", Invalid, "写了两次"),
    ("unknown pad", [Move("w99", "W07")], 0, "x", NotFound, "尚未登记"),
    ("unknown window", [Move("w06", "W99")], 0, "x", NotFound, "不存在"),
    ("already there", [Move("w06", "W06")], 0, "x", Conflict, "已在窗口 W06 上"),
    ("off and not on", [Move("w09", None)], 0, "x", Conflict, "不在任何窗口上"),
    # W08 got spare w09 recorded from 12:00: w06 from 11:38 "until its next move (none)" would erase it.
    ("overlap", [Move("w06", "W08")], 0, "x", Conflict, "记录的是评价器"),
    # w07 is on W07 until now, w08 (a spare, next recorded on W09 at 13:00) cannot replace it only
    # until 13:00: w07 would have to leave at 11:38 and come back at 13:00.
    ("split", [Move("w08", "W07")], 0, "x", Conflict, "又回来"),
]


@pytest.mark.parametrize(("case", "moves", "future", "reason", "error", "says"), BAD, ids=[b[0] for b in BAD])
def test_r10_correction_bad_input_is_refused_and_nothing_changes(
        world: World, case: str, moves: list[Move], future: int, reason: str, error: type[ServiceError],
        says: str) -> None:
    w06, _ = two_windows(world)
    w08, w09 = world.window("W08"), world.window("W09")
    world.pad("w09", w08, SWAP + 22 * MIN)
    world.pad("w08", w09, SWAP + 82 * MIN)
    world.evals("w06", w06, SWAP + MIN, satisfied=2)
    was = history(world)
    at = world.clock.now_ms() + DAY_MS if future else SWAP
    with world.session() as s, pytest.raises(error) as err:
        correct(s, moves=moves, at_ms=at, clock=world.clock, actor=IT, reason=reason)
    assert says in err.value.detail, err.value.detail
    assert err.value.fix, f"{case}: the error must say how to fix it"
    assert history(world) == was
    with world.session() as s:
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "assignment.correct")).all() == []


def test_r10_correction_of_a_retired_pad_after_retirement_is_refused(world: World) -> None:
    from host import fleet

    two_windows(world)
    with world.session() as s:
        fleet.retire_device(s, device_id="w07", clock=world.clock, actor=IT, reason="broken")
        s.commit()
        world.clock.advance(10 * MIN)
        with pytest.raises(Conflict, match="停用") as err:
            correct(s, moves=[Move("w07", "W06")], at_ms=world.clock.now_ms() - 5 * MIN, clock=world.clock,
                    actor=IT, reason="x")
        assert "停用之前" in err.value.fix


def test_r10_correction_preview_changes_nothing(world: World) -> None:
    w06, _ = two_windows(world)
    world.evals("w06", w06, SWAP + MIN, satisfied=2)
    was = history(world)
    with world.session() as s:
        r = correct(s, moves=[Move("w06", "W07"), Move("w07", "W06")], at_ms=SWAP, clock=world.clock,
                    actor=IT, reason="check first", preview=True)
    assert r.preview and r.moved == {("W06", "W07"): 2}
    assert history(world) == was
    with world.session() as s:
        assert list_corrections(s) == []


def test_r6_candidates_follow_a_correction_and_decided_ones_are_listed_for_review(world: World) -> None:
    """Two prompts w06 showed and staff cancelled after 11:38 were flagged on W06 (refused); one was
    confirmed. The exchange is recorded: the open candidate follows its events to W07; the confirmed
    one is listed for the management section, never changed (R12)."""
    from host.violations import confirm, detect_month, list_candidates

    w06, w07 = two_windows(world)
    with world.session() as s:
        cancelled = [("prompt", SWAP + MIN, {"svc": "A1"}),
                     ("prompt_end", SWAP + 2 * MIN, {"svc": "A1", "reason": "cancelled"}),
                     ("prompt", SWAP + 3 * MIN, {"svc": "A2"}),
                     ("prompt_end", SWAP + 4 * MIN, {"svc": "A2", "reason": "cancelled"})]
        for seq, (type_, at, body) in enumerate(cancelled, start=1):
            s.add(Event(device_id="w06", seq=seq, boot=1, up_ms=seq, type=type_, at_ms=at, received_ms=at,
                        window_id=w06, svc=body["svc"], body={"type": type_, **body}))
        s.commit()
        detect_month(s, OCT, now_ms=world.clock.now_ms(), window_ids=[w06, w07])
        first, second = list_candidates(s, month=OCT)
        assert (first.window_id, first.status, second.window_id) == (w06, "open", w06)
        assert second.id is not None
        confirm(s, second.id, reviewer="mgmt:zhao", reason="video", now_ms=world.clock.now_ms())
        ids = (second.id, first.subject_event_id, second.subject_event_id)
        r = correct(s, moves=[Move("w06", "W07"), Move("w07", "W06")], at_ms=SWAP, clock=world.clock,
                    actor=IT, reason="exchange recorded late")
    confirmed, first_end, second_end = ids
    assert r.review == [confirmed]
    done = settle(world.engine, r, world.clock)
    assert (done.detected, done.withdrawn) == (1, 1)
    with world.session() as s:
        rows = {(c.window_id, c.status, c.subject_event_id) for c in list_candidates(s, month=OCT)}
        (moved,) = s.exec(select(AuditEntry).where(AuditEntry.action == "violation.reattribute")).all()
    assert rows == {(w07, "open", first_end), (w06, "confirmed", second_end)}
    assert (moved.detail["before"], moved.detail["after"]) == (w06, w07)

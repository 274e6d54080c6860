"""Unknown and unassigned pads: events held back (kept whole, acknowledged without rej so the
pad stops resending them: Delivery 5), stored after registration or assignment by replay,
attributed to the window of the event's time (R10)."""

from __future__ import annotations

import time

from sqlmodel import Session, col, select

from host.ingest.replay import replay_for_device
from host.models import Event, RejectedMessage, Window
from tests.ingest.conftest import count_events, place, wait_for
from tests.ingest.pads import T0, SimPad

HOUR = 3_600_000


def held(engine, dev: str) -> list[RejectedMessage]:
    with Session(engine) as s:
        return list(s.exec(select(RejectedMessage).where(RejectedMessage.device_id == dev)
                           .order_by(col(RejectedMessage.id))).all())


def test_unknown_pad_is_kept_then_replayed_after_registration(broker, engine, start_ingest, clock):
    ingest = start_ingest(clock)
    pad = SimPad(broker, "qp-0401")            # has a broker account, but no Device row
    for seq in (1, 2, 3):
        pad.send(seq)
    wait_for(lambda: len(held(engine, "qp-0401")) == 3, what="three held events")
    assert pad.wait_acked([1, 2, 3]), "held back is recorded: acknowledged, so the pad stops resending"
    for seq in (1, 2, 3):                      # a copy that crossed the ack (or a redelivery)
        pad.send(seq)
    time.sleep(0.5)
    assert len(held(engine, "qp-0401")) == 3, "a resent held event is kept once"
    assert {r.code for r in held(engine, "qp-0401")} == {"unknown_device"}
    assert [r.seq for r in held(engine, "qp-0401")] == [1, 2, 3]
    assert "evalpad device add qp-0401" in held(engine, "qp-0401")[0].reason
    assert count_events(engine) == 0

    place(engine, "qp-0401", "B02")
    clock.advance(60_000)
    assert replay_for_device(engine, "qp-0401", clock, publish=ingest.publish) == 3
    assert count_events(engine, "qp-0401") == 3
    assert all(r.replayed_ms == T0 + 60_000 for r in held(engine, "qp-0401"))
    assert replay_for_device(engine, "qp-0401", clock) == 0, "nothing left to replay"
    pad.resend_unacked()
    pad.send(1)                                # a late copy: a duplicate, acked, not stored
    pad.send(4)
    assert pad.wait_acked([4])
    assert count_events(engine, "qp-0401") == 4
    pad.close()


def test_unassigned_events_wait_for_the_assignment_of_their_time(broker, engine, start_ingest, clock):
    """Pad on window A07 from T0+1h; events from before are held until an assignment covers them."""
    place(engine, "qp-0402", "A07", start_ms=T0 + HOUR)
    clock.set(T0 + 2 * HOUR)                       # both events are in the past
    start_ingest(clock)
    pad = SimPad(broker, "qp-0402")
    pad.send(1, up=1000, ts=T0 + 1000)             # before the assignment: held
    pad.send(2, up=2000, ts=T0 + HOUR + 5000)      # on A07
    assert pad.wait_acked([1, 2])
    wait_for(lambda: held(engine, "qp-0402"), what="the held event")
    assert [r.code for r in held(engine, "qp-0402")] == ["unassigned"]
    assert pad.acked == [[1, 2]]
    place(engine, "qp-0402", "C11", start_ms=T0 - HOUR, end_ms=T0 + HOUR)   # it was on C11 before
    assert replay_for_device(engine, "qp-0402", clock) == 1
    with Session(engine) as s:
        numbers = {w.id: w.number for w in s.exec(select(Window)).all()}
        placed = {e.seq: numbers[e.window_id] for e in s.exec(select(Event)).all()}
    assert placed == {1: "C11", 2: "A07"}
    pad.close()

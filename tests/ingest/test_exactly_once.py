"""Delivery (protocol.md 3-4): stored once, acknowledged each time, acks only after commit."""

from __future__ import annotations

from sqlmodel import Session, select

from host.metrics import REGISTRY
from host.models import Event
from tests.ingest.conftest import count_events, place, wait_for
from tests.ingest.pads import SimPad


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_same_event_three_times_is_stored_once_and_acked_each_time(broker, engine, start_ingest):
    place(engine, "qp-0101")
    stored0 = metric("evalpad_events_ingested_total", result="stored")
    dup0 = metric("evalpad_events_ingested_total", result="duplicate")
    ingest = start_ingest()
    pad = SimPad(broker, "qp-0101")
    acks_seen: list[list] = []
    pad.client.message_callback_add("evalpad/v1/qp-0101/ack",
                                    lambda c, u, m: (acks_seen.append(m.payload), pad._on_message(c, u, m)))
    payload = pad.event(7)
    for delivery in range(1, 4):
        pad.send(7, payload)
        wait_for(lambda n=delivery: len(acks_seen) >= n, what=f"the ack of delivery {delivery}")
    assert len(acks_seen) == 3
    assert all(a == b'{"v":1,"ack":[[7,7]]}' for a in acks_seen)
    assert count_events(engine, "qp-0101") == 1
    with Session(engine) as s:
        ev = s.exec(select(Event)).one()
    assert (ev.seq, ev.rating, ev.at_ms, ev.time_derived) == (7, "satisfied", ev.pad_ts_ms, False)
    assert ev.window_id is not None
    assert metric("evalpad_events_ingested_total", result="stored") - stored0 == 1
    assert metric("evalpad_events_ingested_total", result="duplicate") - dup0 == 2
    assert metric("evalpad_ack_latency_seconds_count") >= 3
    pad.close()
    ingest.stop()

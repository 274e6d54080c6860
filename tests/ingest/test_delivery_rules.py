"""protocol.md Delivery 5-6 through the real ingest, on SQLite and PostgreSQL: everything
recorded is acknowledged (rejected ones named in rej), unknown types are stored as they
came, a reused seq with other content is a conflict kept beside the stored event and
raised to IT, and a rejected event is replayed once its cause is fixed."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from firmware.hal.fake import FakeHal
from firmware.hal.netsock import SocketModule
from firmware.pad.app import LOOP_MS, PadApp
from host.ingest import batch
from host.ingest.replay import replay_for_device, replay_rejected
from host.models import AuditEntry, DeviceStatus, Event, EventConflict, Fault, RejectedMessage
from host.rules.types import Span
from host.scoring.facts import tallies
from tests.firmware.padkit import IDENT, RecordingScreen
from tests.ingest.conftest import count_events, place, wait_for
from tests.ingest.pads import T0, SimPad

HOUR = 3_600_000


def rows(engine, model: Any, **where: Any) -> list[Any]:
    with Session(engine) as s:
        q = select(model)
        if "id" in model.model_fields:
            q = q.order_by(col(model.id))
        for name, value in where.items():
            q = q.where(getattr(model, name) == value)
        return list(s.exec(q).all())


class AckLog:
    """Every ack message a pad received, parsed."""

    def __init__(self, pad: SimPad) -> None:
        self.messages: list[dict] = []
        pad.client.message_callback_add(f"evalpad/v1/{pad.dev}/ack", self._on(pad))

    def _on(self, pad: SimPad) -> Callable[..., None]:
        def on_message(client: Any, userdata: Any, msg: Any) -> None:
            self.messages.append(json.loads(msg.payload))
            pad._on_message(client, userdata, msg)
        return on_message

    def rej(self) -> dict[int, str]:
        return {s: c for m in self.messages for s, c in m.get("rej", [])}


def test_unknown_type_is_stored_as_it_came_acknowledged_and_ignored_by_the_score(
        broker, engine, start_ingest):
    place(engine, "qp-0601")
    start_ingest()
    pad = SimPad(broker, "qp-0601")
    acked = AckLog(pad)
    survey = {"v": 1, "dev": "qp-0601", "seq": 1, "boot": 1, "up": 1000, "ts": T0 + 1000, "type": "survey",
              "rating": "satisfied", "answers": {"q1": 5, "q2": [1, 2.5, None, "好"]}}
    pad.send(1, json.dumps(survey).encode())
    pad.send(2)                                    # an ordinary evaluation
    assert pad.wait_acked([1, 2])
    assert acked.rej() == {}
    with Session(engine) as s:
        ev = s.exec(select(Event).where(Event.seq == 1)).one()
        assert (ev.type, ev.rating, ev.svc, ev.body) == ("survey", None, None, survey)
        # R2 counts evaluations only: the survey's "rating" is a field of a type the rules do not know.
        counted = tallies(s, Span(T0 - HOUR, T0 + HOUR))
    assert [(t.valid, t.satisfied) for t in counted.values()] == [(1, 1)]
    assert rows(engine, RejectedMessage) == []
    pad.close()


def test_reused_seq_with_other_content_is_kept_as_a_conflict_raised_to_it_and_acknowledged(
        broker, engine, start_ingest):
    place(engine, "qp-0602")
    start_ingest()
    pad = SimPad(broker, "qp-0602")
    acked = AckLog(pad)
    first = pad.event(5)
    pad.send(5, first)
    assert pad.wait_acked([5])
    # The same event with other bytes (key order, spaces, \u escapes, an unknown field) is the
    # same content: a repeat, acknowledged, not a conflict.
    same = json.loads(first)
    respelled = json.dumps({"zz_extra": 1, **dict(reversed(list(same.items())))}, indent=1,
                           ensure_ascii=True).encode()
    pad.send_raw(respelled)
    other = pad.event(5, rating="unsatisfied")     # seq 5 reused for another press
    pad.send_raw(other)
    pad.send_raw(other)                            # and resent: kept once
    pad.send(6)
    assert pad.wait_acked([6])
    wait_for(lambda: rows(engine, Fault), what="the IT fault")
    assert acked.rej() == {5: "conflict"}
    with Session(engine) as s:
        stored = s.exec(select(Event).where(Event.device_id == "qp-0602", Event.seq == 5)).one()
    assert stored.rating == "satisfied" and stored.body == json.loads(first), "the stored event stands"
    conflicts = rows(engine, EventConflict)
    assert len(conflicts) == 1
    c = conflicts[0]
    assert (c.device_id, c.seq, c.raw, c.stored, c.body) == ("qp-0602", 5, other, json.loads(first),
                                                             json.loads(other))
    faults = rows(engine, Fault)
    assert [(f.code, f.device_id, f.status, f.source) for f in faults] == [
        ("seq_conflict", "qp-0602", "open", "host")]
    assert c.fault_id == faults[0].id and f"冲突记录 {c.id}" in faults[0].detail
    assert [a.action for a in rows(engine, AuditEntry)] == ["fault.open"]
    assert count_events(engine, "qp-0602") == 2
    pad.close()


class RealPad:
    """The pad's real program (firmware/pad on the fake board, CPython) over real sockets."""

    def __init__(self, root: Path, broker: Any, dev: str, password: str, start_ms: int = 0) -> None:
        root.mkdir(parents=True, exist_ok=True)
        ident = dict(IDENT, dev=dev, mqtt_user=dev, mqtt_password=password, mqtt_host=broker.host,
                     mqtt_port=broker.port)
        self.hal = FakeHal(str(root), start_ms=start_ms, sockets=SocketModule(socket, 0.5))
        self.app = PadApp(self.hal, RecordingScreen(self.hal), ident)

    def press(self, n: int, rating: str) -> None:
        for _ in range(n):
            self.app.record([("eval", {"rating": rating, "svc": None, "prompted": False})],
                            self.app.clock.up_ms())

    def drive(self, until: Callable[[], bool], timeout_s: float = 30.0, step_ms: int = LOOP_MS) -> None:
        deadline = time.monotonic() + timeout_s
        while not until():
            if time.monotonic() > deadline:
                raise AssertionError(f"not reached; unacked {self.app.log.unacked()}, "
                                     f"net {self.app.net.last_error}")
            self.app.step()
            self.hal.advance(step_ms)
            time.sleep(0.0005)


def test_a_real_pad_never_resends_held_or_rejected_events_and_counts_the_rejected(
        broker, engine, start_ingest, tmp_path, clock):
    """Issue 10 ("resend forever"): held events of an unregistered pad and rejected ones
    were never acknowledged, so the pad resent them until its log overflowed."""
    ingest = start_ingest(clock)
    password = broker.add_pad("qp-0603")
    pad = RealPad(tmp_path / "flash-1", broker, "qp-0603", password)
    pad.press(5, "satisfied")                      # seqs 1 (boot) to 6, the pad is unknown
    pad.drive(lambda: pad.app.log.unacked() == 0)
    held = [r for r in rows(engine, RejectedMessage, device_id="qp-0603") if r.topic.endswith("/event")]
    assert [(r.code, r.seq) for r in held] == [("unknown_device", s) for s in range(1, 7)]
    assert pad.app.log.rejected == 0, "held back is not rejected"
    assert count_events(engine) == 0

    place(engine, "qp-0603")
    assert replay_for_device(ingest.writer.engine, "qp-0603", clock) == 6
    assert count_events(engine, "qp-0603") == 6

    # Its flash is replaced in a repair: the new log starts at seq 1 again, with other events.
    pad2 = RealPad(tmp_path / "flash-2", broker, "qp-0603", password, start_ms=777_000)
    pad2.press(3, "unsatisfied")                   # seqs 1 (boot) to 4: all taken
    pad2.drive(lambda: pad2.app.log.unacked() == 0)
    # Its boot event (seq 1) says what the first one's said (boot 1, up 0, power on): the
    # same content, a repeat. Seqs 2-4 are other presses: conflicts, rejected.
    assert pad2.app.log.rejected == 3
    pad2.drive(lambda: (rows(engine, DeviceStatus, device_id="qp-0603") or [None])[0] is not None
               and rows(engine, DeviceStatus, device_id="qp-0603")[0].rejected == 3, step_ms=200)
    assert count_events(engine, "qp-0603") == 6, "the stored events stand"
    conflicts = rows(engine, EventConflict, device_id="qp-0603")
    assert sorted(c.seq for c in conflicts) == [2, 3, 4]
    assert all((c.stored["rating"], c.body["rating"]) == ("satisfied", "unsatisfied") for c in conflicts)
    faults = rows(engine, Fault, device_id="qp-0603")
    assert [(f.code, f.status) for f in faults] == [("seq_conflict", "open")]   # one fault per pad while open
    assert all(c.fault_id == faults[0].id for c in conflicts)


def test_a_rejected_event_is_replayed_once_its_cause_is_fixed(broker, engine, start_ingest, clock,
                                                              monkeypatch: pytest.MonkeyPatch):
    """A bug of the host on one event (host_error): that event is kept whole and acked in
    rej, the others of its batch are stored; once fixed, replay stores it, exactly once."""
    place(engine, "qp-0604")
    real_row = batch._event_row

    def buggy(msg: dict, *args: Any) -> dict:
        if msg["seq"] == 7:
            raise RuntimeError("a bug on seq 7")
        return real_row(msg, *args)

    monkeypatch.setattr(batch, "_event_row", buggy)
    ingest = start_ingest(clock)
    pad = SimPad(broker, "qp-0604")
    acked = AckLog(pad)
    for seq in range(1, 11):
        pad.send(seq)
    assert pad.wait_acked(range(1, 11))
    assert acked.rej() == {7: "host_error"}
    assert count_events(engine, "qp-0604") == 9
    [kept] = rows(engine, RejectedMessage)
    assert (kept.code, kept.seq, kept.raw) == ("host_error", 7, pad.sent[7])
    assert "a bug on seq 7" in kept.reason

    monkeypatch.setattr(batch, "_event_row", real_row)          # the fix
    clock.advance(60_000)
    result = replay_rejected(engine, clock, ids=[kept.id], actor="it:wang", reason="fixed in 1.0.1",
                             publish=ingest.publish)
    assert (result.replayed, result.stored) == (1, 1)
    assert count_events(engine, "qp-0604") == 10
    assert rows(engine, RejectedMessage)[0].replayed_ms == T0 + 60_000
    again = replay_rejected(engine, clock, ids=[kept.id], actor="it:wang", reason="twice")
    assert (again.replayed, again.skipped) == (0, 1), "replaying twice stores nothing twice"
    with Session(engine) as s:
        ev = s.exec(select(Event).where(Event.device_id == "qp-0604", Event.seq == 7)).one()
    assert ev.body == json.loads(pad.sent[7])
    audits = [(a.action, a.actor, a.reason, a.detail["replayed"]) for a in rows(engine, AuditEntry)]
    assert audits == [("rejected.replay", "it:wang", "fixed in 1.0.1", 1),
                      ("rejected.replay", "it:wang", "twice", 0)]
    pad.close()

"""Bad input is kept with a clear reason and good events keep flowing (protocol.md Transport)."""

from __future__ import annotations

import json

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlmodel import Session, col, select

from host.models import Event, RejectedMessage
from tests.ingest.conftest import count_events, place, wait_for
from tests.ingest.pads import SimPad


def rejected(engine) -> list[RejectedMessage]:
    with Session(engine) as s:
        return list(s.exec(select(RejectedMessage).order_by(col(RejectedMessage.id))).all())


def test_bad_payloads_are_rejected_with_reasons_while_good_events_flow(broker, engine, start_ingest):
    """Each refused event is kept whole with its reason; one whose seq can be read is
    acknowledged and named in rej (Delivery 5), so the pad drops it instead of resending."""
    place(engine, "qp-0301")
    start_ingest()
    pad = SimPad(broker, "qp-0301")
    acks_seen: list[dict] = []
    pad.client.message_callback_add("evalpad/v1/qp-0301/ack",
                                    lambda c, u, m: (acks_seen.append(json.loads(m.payload)),
                                                     pad._on_message(c, u, m)))
    good = json.loads(pad.event(2))

    def seq(n: int, **changes: object) -> bytes:
        return json.dumps({**good, "seq": n, **changes}).encode()

    bad = {   # code: (payload, the seq the ack names, or None: unreadable, not acknowledged)
        "not_json": (b"{this is not json", None),
        "too_large": (json.dumps({**good, "seq": 10, "detail": "x" * 1100}).encode(), 10),
        "bad_version": (seq(11, v=2), None),
        "device_mismatch": (seq(12, dev="qp-0399"), 12),
        "missing_field": (json.dumps({k: v for k, v in good.items() if k != "seq"}).encode(), None),
        "unknown_type": (seq(13, type="Teleport!"), 13),
        "not_utf8": (b'{"v":1,"dev":"qp-0301","x":"\xff\xfe"}', None),
        "bad_field": (seq(14, rating="meh"), 14),
    }
    pad.send(1)
    for payload, _ in bad.values():
        pad.send_raw(payload)
    pad.send_raw(b"[1,2]", kind="state")          # a state that is no object
    pad.send(2)
    assert pad.wait_acked([1, 2, 10, 12, 13, 14])
    wait_for(lambda: len(rejected(engine)) == len(bad) + 1, what="every bad payload kept")
    rows = rejected(engine)
    assert [r.code for r in rows] == [*bad, "not_object"]
    by_code = {r.code: r for r in rows}
    for code, (payload, acked) in bad.items():
        row = by_code[code]
        assert row.device_id == "qp-0301" and row.topic == "evalpad/v1/qp-0301/event"
        assert row.reason, f"{code} has no reason for people"
        assert row.raw == payload and row.seq == acked       # kept whole, not an excerpt
        if code != "not_utf8":
            assert row.payload == payload.decode()
    assert by_code["not_utf8"].payload == '{"v":1,"dev":"qp-0301","x":"\\xff\\xfe"}'
    assert "1100" not in by_code["too_large"].reason and "1024" in by_code["too_large"].reason
    assert "qp-0399" in by_code["device_mismatch"].reason
    assert count_events(engine, "qp-0301") == 2
    assert pad.acked == [[1, 2], [10, 10], [12, 14]]
    named = {s: c for a in acks_seen for s, c in a.get("rej", [])}
    assert named == {10: "too_large", 12: "device_mismatch", 13: "unknown_type", 14: "bad_field"}
    assert all(not a.get("rej") or set(dict(a["rej"])) <= {s for r in a["ack"] for s in range(r[0], r[1] + 1)}
               for a in acks_seen)
    pad.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the database plays no part here
def test_a_topic_outside_the_contract_is_kept_as_bad_device(broker, engine, start_ingest):
    """Only an account named like that topic (made by hand, not by evalpad) could publish
    there: the ACL stops pads and hosts (Delivery 7). Still nothing is lost."""
    start_ingest()
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="NOT_A_PAD")
    password = "made-by-hand"
    broker.server.add_user("NOT_A_PAD", password)
    c.username_pw_set("NOT_A_PAD", password)
    c.connect(broker.host, broker.port)
    c.loop_start()
    c.publish("evalpad/v1/NOT_A_PAD/event", b'{"v":1}', qos=1).wait_for_publish(5)
    wait_for(lambda: rejected(engine), what="the rejected row")
    row = rejected(engine)[0]
    assert (row.code, row.device_id, row.topic) == ("bad_device", None, "evalpad/v1/NOT_A_PAD/event")
    c.loop_stop()
    c.disconnect()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the database plays no part here
def test_a_pad_cannot_publish_into_another_pads_topic(broker, engine, start_ingest):
    """The broker's ACL (pattern by username) drops it; the host never sees an event for qp-0302."""
    place(engine, "qp-0302")
    place(engine, "qp-0303")
    start_ingest()
    intruder = SimPad(broker, "qp-0303")
    victim_topic = "evalpad/v1/qp-0302/event"
    forged = intruder.event(1).replace(b"qp-0303", b"qp-0302")
    intruder.send_raw(forged, topic=victim_topic)
    intruder.send(5)                              # its own event still goes through
    assert intruder.wait_acked([5])
    with Session(engine) as s:
        assert [(e.device_id, e.seq) for e in s.exec(select(Event)).all()] == [("qp-0303", 5)]
    assert rejected(engine) == []
    intruder.close()

"""Poison payloads (issue 10): whatever bytes arrive, the rejection is stored with the raw
bytes, and no bad message holds back another pad's events, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlmodel import Session, col, select

from host.models import DeviceStatus, Event, RejectedMessage
from tests.ingest.conftest import count_events, place, wait_for
from tests.ingest.pads import SimPad

PADS = [f"qp-05{i:02d}" for i in range(8)]


def rejected(engine) -> list[RejectedMessage]:
    with Session(engine) as s:
        return list(s.exec(select(RejectedMessage).order_by(col(RejectedMessage.id))).all())


def poison(pad: SimPad) -> dict[str, bytes]:
    good = pad.event(900)
    return {
        # A raw NUL byte inside a string: JSON refuses it, and PostgreSQL text cannot hold it.
        "not_json": good.replace(b'"rating"', b'"rat\x00ing"'),
        # The same event as UTF-16 (with its BOM): every other byte is a NUL.
        "not_utf8": good.decode().encode("utf-16"),
    }


def test_two_poison_payloads_among_800_good_events_hold_nothing_back(broker, engine, start_ingest):
    """Issue 10: on PostgreSQL only 187 of 800 were acknowledged, and again after a restart."""
    for dev in PADS:
        place(engine, dev)
    ingest = start_ingest()
    pads = [SimPad(broker, dev) for dev in PADS]
    bad = poison(pads[3])

    def publish(pad: SimPad) -> None:
        for seq in range(1, 101):
            pad.send(seq)
            if pad is pads[3] and seq in (30, 60):
                pad.send_raw(bad["not_json" if seq == 30 else "not_utf8"])

    threads = [threading.Thread(target=publish, args=(p,)) for p in pads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for pad in pads:
        pad.wait_acked(range(1, 101), timeout=20)
    acked = sum(100 - len(pad.unacked()) for pad in pads)
    assert (acked, count_events(engine)) == (800, 800), "every good event stored and acknowledged"
    wait_for(lambda: len(rejected(engine)) == 2, what="both poison payloads kept")
    rows = {r.code: r for r in rejected(engine)}
    assert sorted(rows) == ["not_json", "not_utf8"]
    for code, payload in bad.items():
        row = rows[code]
        assert row.raw == payload, "the raw bytes are kept exactly"
        assert "\x00" not in row.payload and row.payload, "the readable copy has no NUL"
        assert (row.device_id, row.seq) == (PADS[3], None)      # unreadable: not acknowledged
    assert "\\x00" in rows["not_json"].payload

    # After a restart nothing fails again: the broker redelivers nothing stuck, new events flow.
    ingest.stop()
    start_ingest()
    pads[0].send(101)
    assert pads[0].wait_acked([101])
    assert count_events(engine) == 801 and len(rejected(engine)) == 2
    for pad in pads:
        pad.close()


def test_numbers_beyond_the_contract_are_refused_with_a_reason_and_the_largest_are_stored(
        broker, engine, start_ingest):
    """buffered = 2^63-1 passed the contract and failed the INTEGER column (issue 10)."""
    place(engine, "qp-0520")
    start_ingest()
    pad = SimPad(broker, "qp-0520")
    top = 2 ** 53 - 1
    huge = {"v": 1, "dev": "qp-0520", "online": True, "mode": "serving", "buffered": 2 ** 63 - 1}
    pad.send_raw(json.dumps(huge).encode(), kind="state")
    pad.send(1)
    assert pad.wait_acked([1])
    wait_for(lambda: rejected(engine), what="the refused state")
    row = rejected(engine)[0]
    assert row.code == "bad_field" and "buffered" in row.reason and "2^53" in row.reason
    # The largest numbers the contract allows fit every column they land in.
    pad.state("serving", buffered=top, mem_free=top, rssi=-top, up=top, boot=top, fw="f" * 256,
              faults=["x" * 200, "y" * 200], retain=False)
    pad.send(2, up=top, ts=None)
    pad.send(top, up=5000)
    assert pad.wait_acked([2, top])
    with Session(engine) as s:
        wait_for(lambda: s.get(DeviceStatus, "qp-0520", populate_existing=True).buffered == top,
                 what="the state stored")
        st = s.get(DeviceStatus, "qp-0520")
        assert (st.mem_free, st.rssi, st.up_ms, st.boot, st.fw) == (top, -top, top, top, "f" * 256)
        seqs = set(s.exec(select(Event.seq).where(Event.device_id == "qp-0520")).all())
    assert seqs == {1, 2, top}
    assert len(rejected(engine)) == 1
    pad.close()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)   # the shared server cannot be stopped
def test_with_the_database_away_nothing_is_acknowledged_then_everything_is(broker, engine, start_ingest,
                                                                          db_url):
    """Delivery 5: an event the host could not record at all is not acknowledged, poison or not."""
    import psycopg

    from tests.support.services import PG_ADMIN_URL

    place(engine, "qp-0530")
    start_ingest()
    pad = SimPad(broker, "qp-0530")
    pad.send(1)
    assert pad.wait_acked([1])
    name = db_url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        pad.send(2)
        pad.send_raw(poison(pad)["not_json"])
        pad.send(3, json.dumps({**json.loads(pad.event(3)), "rating": "meh"}).encode())   # rejected
        time.sleep(3)
        assert pad.acked == [[1, 1]], "nothing is acknowledged while nothing can be recorded"
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    assert pad.wait_acked([2, 3], timeout=30)
    assert count_events(engine, "qp-0530") == 2
    assert sorted(r.code for r in rejected(engine)) == ["bad_field", "not_json"]
    pad.close()

"""A pad's cmd_result lands on its command (host.commands.record_result), in the ingest's commit."""

from __future__ import annotations

import time

import pytest
from sqlmodel import Session

from host.models import Command, DeviceStatus
from tests.ingest.conftest import place, wait_for
from tests.ingest.pads import T0, SimPad

pytest.importorskip("host.commands", reason="the API's command log is not there yet")


def test_cmd_result_is_recorded_on_the_command(broker, engine, start_ingest, clock):
    place(engine, "qp-0601")
    with Session(engine) as s:
        s.add(Command(id="c-0001", device_id="qp-0601", type="selftest", created_ms=T0,
                      body={"v": 1, "id": "c-0001", "type": "selftest"}))
        s.commit()
    start_ingest(clock)
    pad = SimPad(broker, "qp-0601")
    pad.send(1, type="cmd_result", id="c-0001", ok=True, detail="all good")
    pad.send(2, type="cmd_result", id="c-0001", ok=False, detail="a repeat keeps the first answer")
    assert pad.wait_acked([1, 2])
    with Session(engine) as s:
        cmd = s.get(Command, "c-0001")
        assert cmd is not None
        assert (cmd.result_ok, cmd.result_detail, cmd.result_seq) == (True, "all good", 1)
    pad.close()


def test_a_confirmed_config_sets_the_pads_silence_timeout(broker, engine, start_ingest, clock):
    """After `config heartbeat_s=60` is confirmed, silence means off after 3 x 60 s (R5)."""
    place(engine, "qp-0602")
    with Session(engine) as s:
        s.add(Command(id="c-0002", device_id="qp-0602", type="config", created_ms=T0,
                      body={"v": 1, "id": "c-0002", "type": "config", "heartbeat_s": 60}))
        s.commit()
    start_ingest(clock)
    pad = SimPad(broker, "qp-0602")
    pad.send(1, type="cmd_result", id="c-0002", ok=True)
    assert pad.wait_acked([1])
    with Session(engine) as s:
        status = s.get(DeviceStatus, "qp-0602")
        assert status is not None and status.heartbeat_s == 60
    clock.advance(150_000)                 # past 3 x 30 s, within 3 x 60 s: still on
    time.sleep(0.6)
    with Session(engine) as s:
        assert s.get(DeviceStatus, "qp-0602").power == "on"  # type: ignore[union-attr]
    clock.advance(31_000)
    wait_for(lambda: _power(engine, "qp-0602") == "off", what="off after 3 x 60 s")
    pad.close()


def _power(engine, dev: str) -> str | None:
    with Session(engine) as s:
        st = s.get(DeviceStatus, dev)
        return None if st is None else st.power

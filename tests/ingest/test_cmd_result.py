"""A pad's cmd_result lands on its command (host.commands.record_result), in the ingest's commit."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from host.models import Command
from tests.ingest.conftest import place
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

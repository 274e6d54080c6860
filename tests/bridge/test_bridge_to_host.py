"""A wired pad through the bridge into the real host ingest: stored once and acknowledged, as if wireless."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlmodel import Session, select

from host import fleet
from host.bridge import MqttTarget, SerialBridge
from host.clock import SystemClock
from host.ingest.mqtt import BrokerAddress
from host.models import Event, RejectedMessage
from simulator.host_link import InProcessHost
from simulator.serial_pad import SerialPad
from tests.bridge.test_bridge import Cable

pytestmark = pytest.mark.broker
DEV = "wp-0002"


def test_wired_pad_events_are_stored_once_and_acknowledged(broker: object, tmp_path: Path) -> None:
    clock = SystemClock()
    host = InProcessHost(f"sqlite:///{tmp_path / 'evalpad.db'}", clock,
                         BrokerAddress(broker.host, broker.port, broker.host_user, broker.host_password),  # type: ignore[attr-defined]
                         tmp_path)
    with Session(host.engine) as s:
        fleet.add_window(s, number="A07", name="综合受理", clock=clock, actor="test")
        fleet.add_device(s, device_id=DEV, clock=clock, actor="test", window_number="A07")
        s.commit()
    password = broker.add_pad(DEV)  # type: ignore[attr-defined]
    cable = Cable(tmp_path / "ttyUSB1")
    pad = SerialPad(DEV, cable.plug(), clock.now_ms, resend_ms=500)
    bridge = SerialBridge(str(cable.path), DEV, MqttTarget(broker.host, broker.port, DEV, password))  # type: ignore[attr-defined]
    runner = threading.Thread(target=bridge.run, daemon=True)
    host.start()
    runner.start()
    try:
        deadline = time.monotonic() + 20
        while not bridge.link.connected.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
        pad.heartbeat()
        for i in range(6):
            pad.press("satisfied" if i % 2 else "unsatisfied")
        pad.resend()                      # a repeat must be stored once and acknowledged again
        while (pad.log or not pad.acked) and time.monotonic() < deadline:
            pad.pump()
            time.sleep(0.02)
        assert not pad.log and pad.acked == {1, 2, 3, 4, 5, 6}
        with Session(host.engine) as s:
            stored = s.exec(select(Event).where(Event.device_id == DEV)).all()
            assert s.exec(select(RejectedMessage)).all() == []
        assert sorted(e.seq for e in stored) == [1, 2, 3, 4, 5, 6]
        assert {e.window_id for e in stored} != {None}
    finally:
        bridge.stop()
        runner.join(10)
        host.stop()
        cable.pull()

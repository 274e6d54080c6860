"""The serial bridge against a real Mosquitto, with a simulated pad on a pseudo-terminal.

The "cable" is a pty pair behind a stable path (a symlink, like /dev/ttyUSB0); pulling it
closes the pair and removes the path, plugging it back creates a new pair under the same path.
"""

from __future__ import annotations

import json
import os
import threading
import time
import tty
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from host.bridge import MqttTarget, SerialBridge, parse_mqtt_url
from host.bridge.mqtt_link import MqttUrlError
from host.clock import SystemClock
from protocol import messages, topics
from simulator.serial_pad import SerialPad

pytestmark = pytest.mark.broker

DEV = "wp-0001"
WAIT_S = 20.0


class Cable:
    """A pty pair whose slave is reachable at ``path`` while plugged in."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.master: int | None = None
        self._slave: int | None = None

    def plug(self) -> int:
        master, slave = os.openpty()
        tty.setraw(slave)                 # no echo, no line discipline: a USB-serial port is raw
        os.set_blocking(master, False)
        self.master, self._slave = master, slave
        self.path.unlink(missing_ok=True)
        self.path.symlink_to(os.ttyname(slave))
        return master

    def pull(self) -> None:
        self.path.unlink(missing_ok=True)
        for fd in (self.master, self._slave):
            if fd is not None:
                os.close(fd)
        self.master = self._slave = None


class Host:
    """Stands in for the host's ingest: records what arrives and acknowledges events."""

    def __init__(self, broker: object) -> None:
        self.events: list[dict] = []
        self.states: list[bytes] = []
        self.lock = threading.Lock()
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="test-host")
        c.username_pw_set(broker.host_user, broker.host_password)  # type: ignore[attr-defined]
        c.on_connect = lambda cl, *_: cl.subscribe([("evalpad/v1/+/event", 1), ("evalpad/v1/+/state", 1)])
        c.on_message = self._on_message
        c.reconnect_delay_set(1, 2)
        c.connect(broker.host, broker.port)  # type: ignore[attr-defined]
        c.loop_start()
        self.client = c

    def _on_message(self, c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        dev, kind = topics.parse_topic(msg.topic)
        with self.lock:
            if kind == "state":
                self.states.append(bytes(msg.payload))
                return
            ev = messages.parse_event(msg.payload, dev)
            self.events.append(ev)
        c.publish(topics.topic(dev, "ack"), messages.encode(messages.ack([[ev["seq"], ev["seq"]]])), qos=1)

    def seqs(self) -> set[int]:
        with self.lock:
            return {e["seq"] for e in self.events}

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def wait_until(cond: Callable[[], bool], pad: SerialPad, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        pad.pump()
        if cond():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def rig(broker: object, tmp_path: Path) -> Iterator[tuple[Cable, SerialPad, Host, SerialBridge]]:
    password = broker.add_pad(DEV)  # type: ignore[attr-defined]
    cable = Cable(tmp_path / "ttyUSB0")
    pad = SerialPad(DEV, cable.plug(), SystemClock().now_ms, resend_ms=300)
    host = Host(broker)
    bridge = SerialBridge(str(cable.path), DEV, MqttTarget(broker.host, broker.port, DEV, password))  # type: ignore[attr-defined]
    runner = threading.Thread(target=bridge.run, daemon=True)
    runner.start()
    try:
        yield cable, pad, host, bridge
    finally:
        bridge.stop()
        runner.join(10)
        host.close()
        cable.pull()


def test_events_reach_the_host_and_acks_come_back(rig: tuple) -> None:
    _cable, pad, host, bridge = rig
    wait_until(lambda: bridge.link.connected.is_set(), pad, "the bridge's broker session")
    pad.heartbeat()
    sent = [pad.press("satisfied" if i % 3 else "unsatisfied") for i in range(5)]
    wait_until(lambda: host.seqs() == {1, 2, 3, 4, 5} and not pad.log, pad, "5 events acked")
    assert pad.acked == {1, 2, 3, 4, 5}
    # Relayed unchanged: the host parses exactly what the pad built.
    by_seq = {e["seq"]: e for e in host.events}
    assert [by_seq[e["seq"]] for e in sent] == sent
    online = [json.loads(s) for s in host.states if json.loads(s).get("online")]
    assert online and online[0]["dev"] == DEV and online[0]["mode"] == "serving"


def test_a_pulled_cable_loses_nothing_and_the_host_sees_the_pad_off(rig: tuple) -> None:
    cable, pad, host, bridge = rig
    wait_until(lambda: bridge.link.connected.is_set(), pad, "the bridge's broker session")
    for _ in range(3):
        pad.press("satisfied")
    wait_until(lambda: not pad.log, pad, "first events acked")

    cable.pull()
    pad.plug(None)
    offline = messages.encode(messages.will(DEV))
    wait_until(lambda: offline in host.states, pad, "the pad's will payload after the pull")
    assert not bridge.port_open and bridge.cable_pulls == 1
    for _ in range(4):                  # presses while unplugged stay in the pad's log
        pad.press("unsatisfied")
    time.sleep(1.0)                     # the bridge retries the missing port meanwhile
    assert pad.log.keys() == {4, 5, 6, 7}

    pad.plug(cable.plug())
    wait_until(lambda: host.seqs() == set(range(1, 8)) and not pad.log, pad,
               "events from the unplugged time delivered after re-plug")
    assert bridge.port_open


def test_a_broker_restart_loses_nothing(rig: tuple, broker: object) -> None:
    _cable, pad, host, bridge = rig
    wait_until(lambda: bridge.link.connected.is_set(), pad, "the bridge's broker session")
    pad.press("satisfied")
    wait_until(lambda: not pad.log, pad, "first event acked")
    broker.server.stop()  # type: ignore[attr-defined]
    wait_until(lambda: not bridge.link.connected.is_set(), pad, "the bridge noticing")
    for _ in range(5):
        pad.press("satisfied")
    wait_until(lambda: bridge.link.pending > 0, pad, "lines held while the broker is away")
    broker.server.start()  # type: ignore[attr-defined]
    wait_until(lambda: host.seqs() == set(range(1, 7)) and not pad.log, pad,
               "events held during the outage delivered")
    assert bridge.link.dropped == 0


def test_garbage_and_forbidden_lines_are_refused_and_the_bridge_keeps_going(rig: tuple) -> None:
    cable, pad, host, bridge = rig
    wait_until(lambda: bridge.link.connected.is_set(), pad, "the bridge's broker session")
    os.write(cable.master, b"not json\n")
    os.write(cable.master, b'{"topic":"ack","msg":{"v":1,"ack":[[1,9]]}}\n')   # a pad cannot ack
    os.write(cable.master, b"x" * 5000 + b"\n")                                 # over-long line
    pad.press("satisfied")
    wait_until(lambda: host.seqs() == {1} and not pad.log, pad, "the good event after the bad lines")
    assert bridge.refused == 3


def test_commands_from_the_host_reach_the_pad(rig: tuple, broker: object) -> None:
    _cable, pad, host, bridge = rig
    wait_until(lambda: bridge.link.connected.is_set(), pad, "the bridge's broker session")
    time.sleep(0.3)                     # the subscription follows the connack
    cmd = messages.command("c-1", "display", window="A07", staff="王芳")
    host.client.publish(topics.topic(DEV, "cmd"), messages.encode(cmd), qos=1)
    wait_until(lambda: bool(pad.commands), pad, "the command line on the pad")
    assert pad.commands == [cmd]


def test_mqtt_url_parsing() -> None:
    t = parse_mqtt_url("mqtt://wp-0001:s%40cret@10.0.0.5:1884")
    assert t == MqttTarget("10.0.0.5", 1884, "wp-0001", "s@cret")
    assert parse_mqtt_url("mqtt://broker").port == 1883
    with pytest.raises(MqttUrlError, match="mqtt://user:password@host:1883"):
        parse_mqtt_url("http://broker:1883")

"""The pad core against a real Mosquitto (CPython): delivery, acks, outages, will, commands.

The pad runs its real loop (umqtt.simple over real sockets) on the fake board's simulated
clock; the "host" here is a paho client with the host account that records what arrives
and acknowledges it, as the real ingest does after committing.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from firmware.hal import Reboot
from firmware.hal.fake import FakeHal
from firmware.hal.netsock import SocketModule
from firmware.pad import app as app_mod
from firmware.pad.app import LOOP_MS, PadApp
from protocol import acks, messages
from tests.conftest import Broker, _start_broker
from tests.firmware.padkit import IDENT, RecordingScreen

pytestmark = pytest.mark.broker

DEV = "qp-0107"
PREFIX = "evalpad/v1"
EVAL = {"rating": "satisfied", "svc": None, "prompted": False}


class Host:
    """A stand-in for the host's ingest: records events and states, acks what it stored."""

    def __init__(self, broker: object, auto_ack: bool = True) -> None:
        self.lock = threading.Lock()
        self.events: list[dict] = []
        self.states: list[dict] = []
        self.auto_ack = auto_ack
        self.connected = threading.Event()
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="test-host")
        c.username_pw_set(broker.host_user, broker.host_password)  # type: ignore[attr-defined]
        c.reconnect_delay_set(min_delay=1, max_delay=1)
        c.on_connect = self._on_connect
        c.on_message = self._on_message
        c.connect(broker.host, broker.port)  # type: ignore[attr-defined]
        c.loop_start()
        self.client = c
        assert self.connected.wait(10), "host could not connect to the broker"

    def _on_connect(self, client: mqtt.Client, *args: object) -> None:
        client.subscribe([(f"{PREFIX}/+/event", 1), (f"{PREFIX}/+/state", 1)])
        self.connected.set()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        if msg.topic.endswith("/event"):
            ev = messages.parse_event(msg.payload, DEV)
            with self.lock:
                self.events.append(ev)
            if self.auto_ack:
                self.ack([ev["seq"]])
        else:
            with self.lock:
                self.states.append(messages.parse_state(msg.payload, DEV))

    def ack(self, seqs: list[int]) -> None:
        payload = messages.encode(messages.ack(acks.to_ranges(seqs)))
        self.client.publish(f"{PREFIX}/{DEV}/ack", payload, qos=1)

    def command(self, cid: str, kind: str, **fields: object) -> None:
        payload = messages.encode(messages.command(cid, kind, **fields))
        self.client.publish(f"{PREFIX}/{DEV}/cmd", payload, qos=1)

    def seqs(self) -> list[int]:
        with self.lock:
            return [e["seq"] for e in self.events]

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


class Pad:
    """A pad on the fake board with real sockets, and a loop driver on simulated time."""

    def __init__(self, root: Path, broker: object) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.ident = dict(IDENT, mqtt_host=broker.host, mqtt_port=broker.port,  # type: ignore[attr-defined]
                          mqtt_password=broker.add_pad(DEV))  # type: ignore[attr-defined]
        self.sockets = SocketModule(socket, 0.5)
        self.hal = FakeHal(str(root), sockets=self.sockets)
        self.screen = RecordingScreen(self.hal)
        self.app = PadApp(self.hal, self.screen, self.ident)

    def restart(self, cause: str) -> None:
        """The pad reboots: same flash and clock, fresh RAM."""
        now = self.hal.now
        self.hal = FakeHal(str(self.root), start_ms=now, reset_cause=cause, sockets=self.sockets)
        self.screen = RecordingScreen(self.hal)
        self.app = PadApp(self.hal, self.screen, self.ident)

    def drive(self, until: Callable[[], bool], timeout_s: float = 20.0, step_ms: int = LOOP_MS) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.app.step()
            self.hal.advance(step_ms)
            if until():
                return
            time.sleep(0.0005)   # let the broker and the host's thread breathe (real time)
        raise AssertionError("condition not reached in {}s; net: {}, unacked {}".format(
            timeout_s, self.app.net.last_error, self.app.log.unacked()))

    def log_events(self, n: int) -> list[int]:
        up = self.app.clock.up_ms()
        start = self.app.log.next_seq
        for _ in range(n):
            self.app.record([("eval", dict(EVAL))], up)
        return list(range(start, start + n))


@pytest.fixture
def host(broker: object) -> object:
    h = Host(broker)
    yield h
    h.close()


def test_events_reach_the_host_in_seq_order_and_acks_reclaim_them(broker: object, host: Host,
                                                                 tmp_path: Path) -> None:
    pad = Pad(tmp_path / "pad", broker)
    pad.hal.press("satisfied", pad.hal.now + 10, 100)
    seqs = pad.log_events(300)                      # three segments' worth
    last = seqs[-1]
    pad.drive(lambda: last in host.seqs() and pad.app.log.unacked() == 0)
    got = host.seqs()
    first_seen = list(dict.fromkeys(got))
    assert first_seen == sorted(first_seen)          # in seq order
    assert set(range(1, last + 1)) <= set(got)       # boot, the press, the 300
    assert len(pad.app.log.segs) == 1                # acked segments deleted from flash
    assert [n for n in (tmp_path / "pad" / "log").iterdir() if n.name.startswith("s")].__len__() == 1
    states = [s for s in host.states if s["online"]]
    assert states and states[0]["mode"] in ("serving", "fault") and states[0]["boot"] == 1


def test_broker_restart_loses_nothing_and_commands_still_arrive(broker: object, host: Host,
                                                               tmp_path: Path) -> None:
    pad = Pad(tmp_path / "pad", broker)
    pad.drive(lambda: pad.app.net.connected and 1 in host.seqs())
    before = pad.log_events(50)
    broker.server.restart()  # type: ignore[attr-defined]
    during = pad.log_events(50)                      # logged while the pad reconnects
    pad.drive(lambda: pad.app.net.connected and host.connected.is_set() and
              set(before + during) <= set(host.seqs()) and pad.app.log.unacked() == 0,
              timeout_s=40)
    assert pad.app.net.connects >= 2
    # resubscribed to cmd after the reconnect: a command still arrives and is answered
    host.command("c-after-restart", "pause", reason="restart test")
    pad.drive(lambda: any(e["type"] == "cmd_result" and e["id"] == "c-after-restart"
                          for e in list(host.events)))
    assert pad.app.modes.mode == "paused"


def test_long_outage_buffers_offline_and_delivers_everything(broker: object, host: Host,
                                                            tmp_path: Path) -> None:
    pad = Pad(tmp_path / "pad", broker)
    pad.drive(lambda: pad.app.net.connected)
    broker.server.stop()  # type: ignore[attr-defined]
    logged: list[int] = []
    rebooted = False
    # Three simulated hours offline; a busy window's worth of events; the pad reboots as
    # its last resort after two hours (the cause goes into the log), then carries on.
    for minute in range(180):
        logged += pad.log_events(8)
        pad.hal.press("unsatisfied", pad.hal.now, 100)
        try:
            for _ in range(60):
                pad.app.step()
                pad.hal.advance(1000)
        except Reboot:
            rebooted = True
            pad.restart("soft")
        assert minute < 179 or rebooted
    assert rebooted
    assert pad.app.log.unacked() >= 180 * 8
    broker.server.start()  # type: ignore[attr-defined]
    top = pad.app.log.next_seq - 1
    pad.drive(lambda: pad.app.log.unacked() == 0 and top in host.seqs(), timeout_s=90)
    got = set(host.seqs())
    assert set(logged) <= got
    assert set(range(1, top + 1)) - got == set(), "every seq reached the host"
    faults = [e for e in host.events if e["type"] == "fault" and e["code"] == "network"]
    assert len(faults) == 1 and "rebooting after" in faults[0]["detail"]
    boots = [e for e in host.events if e["type"] == "boot"]
    assert [b["reset_cause"] for b in boots][-1] == "soft"
    assert app_mod.OUTAGE_REBOOT_MS <= 3 * 3600 * 1000


def test_will_appears_when_the_connection_dies(broker: object, host: Host, tmp_path: Path) -> None:
    pad = Pad(tmp_path / "pad", broker)
    pad.drive(lambda: any(s["online"] for s in host.states))
    assert pad.hal.led_on is True                     # status LED: connected
    raw = pad.sockets.last.raw  # type: ignore[union-attr]
    raw.shutdown(socket.SHUT_RDWR)                    # the link dies, no DISCONNECT sent
    raw.close()
    pad.drive(lambda: any(not s["online"] for s in host.states), timeout_s=20)
    assert pad.hal.led_on is False or pad.app.net.connected
    will = next(s for s in host.states if not s["online"])
    assert will == {"v": 1, "dev": DEV, "online": False}
    n = len(host.states)
    pad.drive(lambda: any(s["online"] for s in host.states[n:]), timeout_s=20)   # birth again
    assert pad.app.net.connects == 2


def test_graceful_power_off_publishes_its_own_offline_state(broker: object, host: Host,
                                                            tmp_path: Path) -> None:
    pad = Pad(tmp_path / "pad", broker)
    pad.drive(lambda: any(s["online"] for s in host.states))
    pad.hal.press("power", pad.hal.now, 2500)
    pad.drive(lambda: pad.app.off)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(not s["online"] for s in host.states):
        time.sleep(0.05)
    offline = [s for s in host.states if not s["online"]]
    assert offline and offline[0].get("reason") == "power_off"
    assert any(e["type"] == "power_off" for e in host.events)


def test_retained_state_reports_buffered_and_mode(broker: object, host: Host, tmp_path: Path) -> None:
    pad = Pad(tmp_path / "pad", broker)
    host.auto_ack = False
    pad.drive(lambda: pad.app.net.connected)
    pad.log_events(5)
    pad.drive(lambda: any(s["online"] for s in host.states))
    t0 = pad.hal.now
    pad.hal.press("staff", pad.hal.now, 100)
    pad.drive(lambda: any(s.get("mode") == "prompt" for s in host.states))
    # published on the change of mode, not at the next heartbeat (30 s)
    assert pad.hal.now - t0 < 2000
    state = [s for s in host.states if s.get("mode") == "prompt"][-1]
    assert state["buffered"] >= 6 and state["fw"] == app_mod.FW_VERSION
    assert json.loads(json.dumps(state)) == state


def test_idle_link_is_kept_by_heartbeats_and_a_hung_broker_is_noticed(
        broker: object, host: Host, tmp_path: Path) -> None:
    import signal

    pad = Pad(tmp_path / "pad", broker)
    pad.drive(lambda: any(s["online"] for s in host.states))
    n_states = len(host.states)
    start = pad.hal.now
    pad.drive(lambda: pad.hal.now - start >= 65000, step_ms=50)      # a quiet minute
    assert pad.app.net.connects == 1 and pad.app.net.connected
    assert len(host.states) - n_states >= 2                          # heartbeat every 30 s
    # Each heartbeat waits for its PUBACK, which proves the link: no ping besides (a ping before
    # every heartbeat doubled the packets of an idle pad).
    assert pad.app.net.pings == 0
    proc = broker.server.proc  # type: ignore[attr-defined]
    proc.send_signal(signal.SIGSTOP)                                 # the broker hangs
    try:
        pad.drive(lambda: not pad.app.net.connected, step_ms=50, timeout_s=30)
        assert "ping not answered" in pad.app.net.last_error or "publish" in pad.app.net.last_error
    finally:
        proc.send_signal(signal.SIGCONT)
    pad.drive(lambda: pad.app.net.connected, timeout_s=30)
    assert pad.app.net.connects == 2


def test_a_pad_with_slow_heartbeats_keeps_its_link_with_pings(
        broker: object, host: Host, tmp_path: Path) -> None:
    """Heartbeats every two minutes leave the link idle past the broker's keepalive (60 s, the
    broker drops a client after 90 s of silence): pings keep it, so the pad is never dropped."""
    pad = Pad(tmp_path / "pad", broker)
    pad.app.config.update({"heartbeat_s": 120})
    pad.drive(lambda: any(s["online"] for s in host.states))
    start = pad.hal.now
    pad.drive(lambda: pad.hal.now - start >= 200_000, step_ms=100, timeout_s=40)
    assert pad.app.net.pings >= 3                  # at most 45 s idle: 200 s needs 3 or more
    assert pad.app.net.connects == 1 and pad.app.net.connected


def test_a_pad_whose_topics_are_longer_than_122_bytes_subscribes_and_hears_the_host(
        tmp_path: Path) -> None:
    """A deployment prefix can make a topic long: umqtt's SUBSCRIBE must encode its remaining
    length as MQTT's variable-length integer (above 127 bytes it takes two), as upstream's fix does."""
    center = "qingpu-district-administrative-service-center"
    prefix = "evalpad/v1/{}/{}/hall-2/floor-3".format(center, center)
    ack_topic = "{}/{}/ack".format(prefix, DEV)
    assert len(ack_topic) > 122                  # SUBSCRIBE's remaining length > 127
    server = _start_broker(tmp_path / "broker", prefix=prefix)
    try:
        broker = Broker(server)
        pad = Pad(tmp_path / "pad", broker)
        pad.ident["mqtt_prefix"] = prefix
        pad.app = PadApp(pad.hal, pad.screen, pad.ident)
        host = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=broker.host_user)
        host.username_pw_set(broker.host_user, broker.host_password)
        host.connect(broker.host, broker.port)
        host.loop_start()
        try:
            pad.drive(lambda: pad.app.net.connected)
            cmd = messages.encode(messages.command("c-long", "pause", reason="lunch"))
            host.publish("{}/{}/cmd".format(prefix, DEV), cmd, qos=1).wait_for_publish(5)
            pad.drive(lambda: pad.app.modes.mode == "paused")
            seq = pad.app.log.next_seq - 1
            host.publish(ack_topic, messages.encode(messages.ack([[1, seq]])), qos=1).wait_for_publish(5)
            pad.drive(lambda: pad.app.log.unacked() == 0)
        finally:
            host.loop_stop()
            host.disconnect()
        assert pad.app.net.connects == 1 and pad.app.net.failures == 0
    finally:
        server.stop()

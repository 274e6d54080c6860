"""Pad core pieces under CPython: identity errors, umqtt's bytes on the wire, bounded waits."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest

from firmware.hal.fake import FakeFiles, FakeHal
from firmware.hal.netsock import SocketModule, TimeoutSocket
from firmware.lib.umqtt import simple
from firmware.pad import eventlog
from firmware.pad import net as net_mod
from firmware.pad.app import PadApp
from firmware.pad.eventlog import EventLog
from firmware.pad.settings import Config, SettingsError, load_identity
from protocol import messages, spec
from tests.firmware.padkit import IDENT, RecordingScreen

# -- identity and config ---------------------------------------------------------------

def _files(tmp_path: Path, identity: object = None) -> FakeFiles:
    files = FakeFiles(str(tmp_path))
    if identity is not None:
        text = identity if isinstance(identity, str) else json.dumps(identity)
        (tmp_path / "evalpad.json").write_text(text)
    return files


@pytest.mark.parametrize(("identity", "says"), [
    (None, "evalpad.json is missing"),
    ("{not json", "not JSON"),
    ("[1, 2]", "one JSON object"),
    ({"dev": "qp-0107", "wifi_ssid": "hall"}, "lacks 'mqtt_host'"),
    ({"dev": "QP 0107", "wifi_ssid": "hall", "mqtt_host": "h"}, "device id"),
])
def test_a_bad_identity_file_says_what_is_wrong_and_how_to_fix_it(tmp_path: Path, identity: object,
                                                                  says: str) -> None:
    with pytest.raises(SettingsError) as err:
        load_identity(_files(tmp_path, identity))
    assert says in str(err.value)
    if identity is not None and "device id" not in says:
        assert "evalpad pad provision" in str(err.value)


def test_identity_defaults_and_broker_user_is_the_device(tmp_path: Path) -> None:
    ident = load_identity(_files(tmp_path, {"dev": "qp-0107", "wifi_ssid": "hall", "mqtt_host": "h"}))
    assert ident["mqtt_user"] == "qp-0107"
    assert ident["mqtt_port"] == 1883 and ident["mqtt_prefix"] == spec.PREFIX


def test_config_defaults_and_a_damaged_file_falls_back(tmp_path: Path) -> None:
    files = _files(tmp_path)
    assert Config(files).values == spec.DEFAULT_CONFIG
    (tmp_path / "config.json").write_text('{"heartbeat_s": "often", "thanks_s": 7')
    assert Config(files).values == spec.DEFAULT_CONFIG
    (tmp_path / "config.json").write_text('{"heartbeat_s": "often", "thanks_s": 7}')
    assert Config(files).values == dict(spec.DEFAULT_CONFIG, thanks_s=7)


# -- umqtt.simple through TimeoutSocket: the exact bytes -------------------------------

def test_connect_packet_carries_will_credentials_and_keepalive() -> None:
    a, b = socket.socketpair()
    try:
        sock = TimeoutSocket(a, 0.5)
        c = simple.MQTTClient(b"qp-0107", "unused", 1883, b"qp-0107", b"pw", 60)
        will = messages.encode(messages.will("qp-0107"))
        c.set_last_will(b"evalpad/v1/qp-0107/state", will, retain=True, qos=1)
        b.sendall(b"\x20\x02\x00\x00")                  # CONNACK, accepted

        class OneSocket:
            AF_INET = socket.AF_INET
            SOCK_STREAM = socket.SOCK_STREAM

            def socket(self) -> TimeoutSocket:
                return sock

            def getaddrinfo(self, host: str, port: int, *a: object) -> list:
                return [(0, 0, 0, "", ("127.0.0.1", 1))]

        sock.connect = lambda addr: None  # type: ignore[method-assign]
        simple.socket = OneSocket()
        c.connect()
        b.settimeout(1)
        wire = b.recv(4096)
    finally:
        a.close()
        b.close()
    body = (b"\x00\x04MQTT\x04" + bytes([0xC0 | 0x20 | 0x08 | 0x04 | 0x02]) + b"\x00\x3c"
            + b"\x00\x07qp-0107" + b"\x00\x18evalpad/v1/qp-0107/state"
            + len(will).to_bytes(2, "big") + will + b"\x00\x07qp-0107" + b"\x00\x02pw")
    assert wire == b"\x10" + bytes([len(body)]) + body


# -- a silent broker never freezes the loop ------------------------------------------

class SilentBroker:
    """Accepts TCP connections and never answers (a wedged broker or a black-holed NAT)."""

    def __init__(self) -> None:
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(8)
        self.port = self.srv.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.srv.settimeout(0.1)
        while not self.stop:
            try:
                conn, _ = self.srv.accept()
                self.conns.append(conn)
            except OSError:
                continue

    def close(self) -> None:
        self.stop = True
        for c in self.conns:
            c.close()
        self.srv.close()


def test_a_silent_broker_costs_a_step_at_most_the_socket_timeout(tmp_path: Path) -> None:
    broker = SilentBroker()
    try:
        hal = FakeHal(str(tmp_path), sockets=SocketModule(socket, net_mod.SOCKET_TIMEOUT_S))
        app = PadApp(hal, RecordingScreen(hal), dict(IDENT, mqtt_port=broker.port))
        worst = 0.0
        for i in range(3000):                    # 15 s simulated: several connect attempts
            if i == 100:
                hal.press("satisfied", hal.now, 100)
            t0 = time.monotonic()
            app.step()
            worst = max(worst, time.monotonic() - t0)
            hal.advance(5)
        assert app.net.failures >= 3 and not app.net.connected
        assert worst < net_mod.SOCKET_TIMEOUT_S * 2 + 0.5
        evals = [e for e in app.log.read(1, 100) if e["type"] == "eval"]
        assert len(evals) == 1                    # the press was logged while the broker hung
    finally:
        broker.close()


def test_an_event_too_large_for_the_wire_is_logged_shortened_not_stalling_the_sender(
        tmp_path: Path) -> None:
    hal = FakeHal(str(tmp_path))
    app = PadApp(hal, None, dict(IDENT))
    app.record([("cmd_result", {"id": "编" * 256, "ok": False, "detail": "错" * 100}),
                ("fault_report", {"detail": "x" * 300})], 10)
    evs = app.log.read(2, 10)
    assert [e["type"] for e in evs] == ["cmd_result", "fault"]
    assert evs[0]["id"] == "编" * 32 and evs[0]["detail"] == "result too large"
    assert evs[1]["code"] == "other" and evs[1]["detail"].startswith("fault_report not logged")
    assert app.refused == 2
    for e in evs:
        assert len(messages.encode(e)) <= spec.MAX_PAYLOAD


# -- the log under CPython (the simulator runs the firmware there) ---------------------

def test_long_chinese_text_in_an_event_survives_the_logs_recovery_scan(tmp_path: Path) -> None:
    """256 Chinese characters are 768 bytes of UTF-8 -- the event fits the wire -- but 1,536
    bytes as CPython's default JSON escapes, past a record's limit: the recovery at the next
    start would call the record damaged and forget the unacked event."""
    files = FakeFiles(str(tmp_path))
    log = EventLog(files, "qp-0107")
    reason = "午休" * 128
    seq = log.append("pause", 1, 10, None, {"reason": reason})
    log.close()
    again = EventLog(files, "qp-0107")          # the next start
    assert again.corrupt == 0
    (ev,) = again.read(seq, 1)
    assert ev["type"] == "pause" and ev["reason"] == reason
    assert again.unacked() == 1


def test_the_log_has_an_index_for_every_event_type_of_the_contract() -> None:
    """A record stores its type as an index into eventlog.TYPES: a type the contract gains
    must get one (appended: an old index keeps its meaning), or the pad cannot log it."""
    assert sorted(eventlog.TYPES) == sorted(spec.EVENT_TYPES)
    assert len(set(eventlog.TYPES)) == len(eventlog.TYPES)

"""One simulated pad (the real PadApp on the fake board) against a real Mosquitto; the shared clock."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from simulator.pad import LONG_HOLD_MS, RATING_HOLD_MS, SimPad
from simulator.scenario import PadSettings
from simulator.shared_clock import SharedClock

T0 = 1_791_770_400_000        # 2026-10-12 08:00 Asia/Shanghai
DEV = "t-a01"


class Listener:
    def __init__(self, broker: object) -> None:
        self.msgs: list[tuple[str, dict]] = []
        self.lock = threading.Lock()
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="listener")
        c.username_pw_set(broker.host_user, broker.host_password)  # type: ignore[attr-defined]
        c.on_connect = lambda cl, *_: cl.subscribe("evalpad/v1/#", 1)
        c.on_message = self._on
        c.connect(broker.host, broker.port)  # type: ignore[attr-defined]
        c.loop_start()
        self.client = c

    def _on(self, _c: object, _u: object, m: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.msgs.append((m.topic.rsplit("/", 1)[1], json.loads(m.payload)))

    def of(self, kind: str) -> list[dict]:
        with self.lock:
            return [m for k, m in self.msgs if k == kind]

    def wait(self, cond: object, pad: SimPad, what: str) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if cond():  # type: ignore[operator]
                return
            pad.step()
            time.sleep(0.01)
        raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def rig(broker: object, tmp_path: Path) -> Iterator[tuple[SimPad, Listener]]:
    pw = broker.add_pad(DEV)  # type: ignore[attr-defined]
    listener = Listener(broker)
    pad = SimPad("A01", DEV, tmp_path / "pad", (broker.host, broker.port), pw, PadSettings())  # type: ignore[attr-defined]
    pad.switch_on(T0)
    now = T0
    for _ in range(40):
        now += 100
        pad.advance_to(now)
        pad.step()
        if pad.connected:
            break
    try:
        yield pad, listener
    finally:
        pad.cut_power()
        listener.client.loop_stop()


@pytest.mark.broker
def test_a_press_is_an_eval_stamped_with_the_shared_clock(rig: tuple) -> None:
    pad, listener = rig
    assert pad.connected
    at = pad.hold("satisfied", RATING_HOLD_MS)
    listener.wait(lambda: any(e["type"] == "eval" for e in listener.of("event")), pad, "the eval")
    (ev,) = [e for e in listener.of("event") if e["type"] == "eval"]
    assert ev["rating"] == "satisfied" and ev["prompted"] is False
    assert 0 <= ev["ts"] - at <= 100       # NTP answers the hall's clock; the debounce takes ~25 ms


@pytest.mark.broker
def test_a_power_cut_makes_the_broker_publish_the_will(rig: tuple) -> None:
    pad, listener = rig
    pad.cut_power()
    listener.wait(lambda: any(s.get("online") is False and "reason" not in s for s in listener.of("state")),
                  pad, "the will")
    assert not pad.on


@pytest.mark.broker
def test_the_power_key_switches_off_gracefully(rig: tuple) -> None:
    pad, listener = rig
    pad.hold("power", LONG_HOLD_MS)
    assert not pad.on
    listener.wait(lambda: any(s.get("reason") == "power_off" for s in listener.of("state")), pad, "power_off")
    assert any(e["type"] == "power_off" for e in listener.of("event"))


def test_the_shared_clock_is_read_by_another_process(tmp_path: Path) -> None:
    clock = SharedClock(tmp_path / "clock", start_ms=T0)
    clock.advance(86_400_000)
    code = ("import sys; from simulator.shared_clock import SharedClock; "
            "print(SharedClock(sys.argv[1]).now_ms())")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "clock")], capture_output=True,
                         text=True, check=True, cwd=Path(__file__).resolve().parents[2])
    assert int(out.stdout) == T0 + 86_400_000


def test_a_reader_never_sees_a_time_the_clock_was_not_set_to(tmp_path: Path) -> None:
    """Another process sets the clock as fast as it can while this one reads it. Before: about
    one read in 170 was 0 (``pack_into`` zeroes before it writes), and the simulated host
    stored two events of the Qingpu month as received in 1970 (refused: no window then)."""
    clock = SharedClock(tmp_path / "clock", start_ms=T0)
    code = ("import sys, time; from simulator.shared_clock import SharedClock\n"
            "c = SharedClock(sys.argv[1]); t = c.now_ms(); end = time.monotonic() + 3\n"
            "while time.monotonic() < end:\n    t += 1000; c.set(t)\n")
    writer = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "clock")],
                              cwd=Path(__file__).resolve().parents[2])
    seen, odd, last = 0, [], T0
    # A second thread makes the interpreter switch between the reads of the two slots.
    busy = threading.Thread(target=lambda: [sum(range(1000)) for _ in range(20_000)], daemon=True)
    busy.start()
    while writer.poll() is None:
        t = clock.now_ms()
        seen += 1
        if t < last or (t - T0) % 1000:
            odd.append((last, t))
        last = max(last, t)
    assert writer.returncode == 0 and last > T0 and seen > 10_000
    assert odd == [], f"{len(odd)} of {seen} reads were not a time the clock was set to: {odd[:3]}"


@pytest.mark.broker
def test_a_restart_keeps_the_boards_clock_and_a_power_cut_does_not(rig: tuple) -> None:
    """As the ESP32's RTC: a pad that restarts itself during a network loss (after 2 h without the
    broker) still stamps its events; one switched off and on again cannot (R10 derived, E01)."""
    pad, _ = rig
    assert pad.app.clock.is_set and pad.app.clock.source == "ntp"
    pad.set_wifi(False)
    pad.app.request_reboot(pad.app.clock.up_ms(), "test", 0)
    for _ in range(50):
        pad.advance_to(pad.now + 100)
        pad.step()
        if pad.boots == 2:
            break
    assert pad.boots == 2 and pad.app.clock.is_set and pad.app.clock.source == "rtc"
    assert abs(pad.app.clock.now_ms() - pad.now) < 1000
    pad.cut_power()
    pad.switch_on(pad.now + 60_000)
    pad.step()
    assert pad.boots == 3 and not pad.app.clock.is_set

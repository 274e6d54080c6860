"""One simulated pad: the real firmware (``firmware.pad.app.PadApp``) on a simulated board.

The board is ``firmware.hal.fake.FakeHal`` with its own flash directory and real TCP sockets
to the broker (``firmware.hal.netsock``). Its monotonic clock is kept equal to the hall's
simulated time, and NTP answers with that same time, so the pad's ``ts`` is the shared clock.

Powering: ``switch_on`` boots a fresh PadApp (a real start: boot counter, log recovery, boot
event); the power key runs the firmware's own graceful power-off; ``cut_power`` kills it
mid-flight (flash writes stop, the TCP connection vanishes so the broker sends the will).

``expect`` mirrors what a correct pad does with each press (one rating per prompt, nothing
while paused or during the thank-you): the ground truth is written from it, never from the
firmware, so the check compares the firmware and the host against the rules, not against
themselves.
"""

from __future__ import annotations

import logging
import select
import socket
import time
from pathlib import Path
from typing import Any

from firmware.hal import PowerCut, Reboot
from firmware.hal.fake import FakeHal
from firmware.hal.netsock import SocketModule
from firmware.loader import choose, crashed
from firmware.pad import settings as pad_settings
from firmware.pad.app import PadApp
from firmware.pad.clock import RTC_KEPT
from simulator.scenario import PadSettings

log = logging.getLogger(__name__)

FINE_STEP_MS = 25          # loop period while a button is held (debounce is 20 ms)...
EDGE_MS = 100              # ...this close to a press or a release; in between
HELD_STEP_MS = 250         # a long press is stepped this often
RATING_HOLD_MS = 120       # a citizen's press
STAFF_TAP_MS = 250         # staff key short press (< the firmware's 2 s long press)
LONG_HOLD_MS = 2_300       # staff key long press / power key (> 2 s)
PROMPT_WAIT_S = 2.0        # longest real wait for the host's prompt command to reach the pad
PING_SETTLE_S = 0.5        # longest real wait for a PINGRESP before simulated time moves on
QUIET_MODES = ("serving", "paused")   # no prompt or thank-you timer running
SOCKET_TIMEOUT_S = 0.5     # as on the pad (firmware.pad.net): loopback answers in well under that


class Expect:
    """What a correct pad's mode is, from the simulator's side (for the ground truth)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.paused = False
        self.prompt_until = 0
        self.thanks_until = 0
        self.reason_until = 0      # a five-key pad's reason screen after a bad review (issue 16)
        self.case: str | None = None   # the case number of the queue system's prompt showing


class SimPad:
    def __init__(self, window: str, dev: str, root: Path, broker: tuple[str, int], password: str,
                 pads: PadSettings, window_name: str = "") -> None:
        self.window = window
        self.dev = dev
        self.root = root
        self.pads = pads
        root.mkdir(parents=True, exist_ok=True)
        self.ident = {"dev": dev, "wifi_ssid": "hall", "wifi_password": "", "mqtt_host": broker[0],
                      "mqtt_port": broker[1], "mqtt_user": dev, "mqtt_password": password,
                      "ntp_host": "sim", "window": window_name or window, "layout": pads.layout,
                      "reason_s": pads.reason_s}
        self.hal: FakeHal | None = None
        self.app: PadApp | None = None
        self.slot = "a"
        self.pointer: dict = {"run": "a"}
        self.sockets: SocketModule | None = None
        self.now = 0
        self.wifi_up = True
        self.stuck: set[str] = set()
        self.expect = Expect()
        self.boots = 0
        self.crashes = 0
        self.drops = 0             # connections the firmware dropped (not power or Wi-Fi incidents)
        self._provision()

    def _provision(self) -> None:
        """Write the identity and config files, as `evalpad` provisioning does over USB."""
        hal = FakeHal(str(self.root))
        pad_settings.save_identity(hal.files, self.ident)
        cfg = pad_settings.Config(hal.files)
        cfg.update({"heartbeat_s": self.pads.heartbeat_s, "prompt_timeout_s": self.pads.prompt_timeout_s,
                    "thanks_s": self.pads.thanks_s, "min_interval_s": self.pads.min_interval_s})

    def set_password(self, password: str) -> None:
        self.ident["mqtt_password"] = password
        pad_settings.save_identity(FakeHal(str(self.root)).files, self.ident)

    # -- power ------------------------------------------------------------------------------

    @property
    def on(self) -> bool:
        return self.app is not None and not self.app.off

    def switch_on(self, now_ms: int, cause: str = "power_on") -> None:
        if self.on:
            return
        self.now = now_ms
        self.sockets = SocketModule(socket, SOCKET_TIMEOUT_S)
        # A restart keeps the board's clock running, a power cut does not (as the ESP32's RTC).
        wall = self.hal.wall_ms() if self.hal is not None and cause in RTC_KEPT else None
        hal = FakeHal(str(self.root), start_ms=now_ms, wall_ms=wall, reset_cause=cause, sockets=self.sockets,
                      wifi=self.wifi_up, layout=self.pads.layout)
        hal.ntp_ms = 0                      # NTP answers the hall's time: wall = hal.now
        for name in self.stuck:
            hal.set_button(name, True)
        self.hal = hal
        self.expect.reset()
        # The loader's choice (firmware/loader.py): the slot, a trial, a rollback. Under CPython both
        # slots run this repository's firmware; the pointer names the release that runs.
        self.slot, self.pointer = choose(hal.files)
        self.app = PadApp(hal, None, None, (self.slot, self.pointer))
        self.boots += 1

    def cut_power(self) -> None:
        """The power fails now: no more writes, the TCP connection is gone (the broker sends the will)."""
        if self.app is None:
            return
        assert self.hal is not None
        self.hal.files.cut_power_after(0)
        self._kill_socket()
        self.app = None
        self.expect.reset()

    def _kill_socket(self) -> None:
        # The broker connection (an update's HTTP requests use the same socket module).
        client: Any = self.app.net.client if self.app is not None else None
        last: Any = client.sock if client is not None else None
        if last is not None:
            try:
                last.raw.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            last.close()

    def after_off(self) -> None:
        """The firmware switched itself off (power key): the board is unpowered now."""
        self._kill_socket()
        self.app = None
        self.expect.reset()

    # -- time and the loop ----------------------------------------------------------------

    def advance_to(self, now_ms: int) -> None:
        self._settle_ping()
        if self.hal is not None and now_ms > self.hal.now:
            self.hal.advance(now_ms - self.hal.now)
        self.now = max(self.now, now_ms)

    def _settle_ping(self) -> None:
        """Let an outstanding keepalive ping's answer arrive before simulated time moves on.

        The firmware gives the broker PING_WAIT_MS of *its* time to answer; at thousands of
        times real speed that is well under a millisecond of real time, so without this a
        loopback round trip would look like a dead link. Real networks answer in far less
        than the firmware allows, which is what this keeps true.
        """
        net: Any = self.app.net if self.app is not None else None
        if net is None or not net.connected or net.ping_at is None:
            return
        sock = net.client.sock
        if sock.rx != net.ping_at[1]:
            return
        try:
            select.select([sock.raw], [], [], PING_SETTLE_S)
        except (OSError, ValueError):
            pass

    def await_prompt(self, svc: str, timeout_s: float = PROMPT_WAIT_S) -> bool:
        """Run the loop finely until the host's ``prompt`` for ``svc`` has arrived over the broker
        (True), or ``timeout_s`` of real time passed. Only the moment is taken from the firmware:
        what a correct pad then does is still the simulator's own (``Expect``)."""
        deadline = time.monotonic() + timeout_s
        while self.app is not None and self.hal is not None and time.monotonic() < deadline:
            self.step()
            if self.app is not None and self.app.modes.mode == "prompt" and self.app.modes.svc == svc:
                self.now = self.hal.now
                return True
            self.hal.advance(FINE_STEP_MS)
            time.sleep(0.002)
        if self.hal is not None:
            self.now = self.hal.now
        return False

    def quiet(self) -> bool:
        """Nothing in the firmware is waiting on a timer shorter than its next heartbeat.

        Connected, serving with nothing to send or to hear back, no button down, no command,
        update, trial or reboot under way: the pad's next step that does anything is its
        heartbeat (and the keepalive ping it sends just before it), so the engine may let its
        idle loop sleep until then instead of stepping it every quantum (the real loop's
        5 ms steps in between change nothing).
        """
        app: Any = self.app
        if app is None or self.hal is None or not app.net.connected or self.stuck:
            return False
        net = app.net
        if net.inbox or (net.ping_at is not None and net.client.sock.rx == net.ping_at[1]):
            return False
        return (app.modes.mode in QUIET_MODES and not app.log.unacked() and app.update is None
                and app.trial is None and app.reboot_at is None and not app.state_due
                and not app.restart_when_idle and not app.health.faults)

    def heartbeat_due(self) -> int | None:
        """The hall time of this pad's next heartbeat (its firmware's ``heartbeat_s`` after the last)."""
        app: Any = self.app
        if app is None or self.hal is None or not app.last_state:
            return None
        period = app.config.get("heartbeat_s") * 1000
        return self.hal.now - (app.clock.up_ms() - app.last_state) + period

    def next_step_ms(self, now_ms: int, quantum_ms: int) -> int:
        """When the engine steps this pad next: the next point of the quantum grid, or the grid
        point of its next heartbeat if it is quiet."""
        if self.quiet():
            due = self.heartbeat_due()
            if due is not None:
                # On the engine's quantum grid, so the pads' heartbeats reach the host together
                # (one ingest commit for many), each at most a quantum late, as when stepped
                # every quantum.
                return max(-(-due // quantum_ms) * quantum_ms, now_ms + quantum_ms)
        return (now_ms // quantum_ms + 1) * quantum_ms

    def step(self) -> None:
        """One main-loop step of the firmware. A reboot request restarts it (reset cause soft)."""
        if self.app is None:
            return
        was = self.app.net.connected
        try:
            self.app.step()
            self._flush()
        except Reboot:
            self._kill_socket()
            self.app = None
            self.switch_on(self.now, "soft")
        except PowerCut:
            self.app = None
        except Exception as exc:  # a firmware crash is a watchdog reset on hardware
            log.exception("%s: firmware raised; restarting it as a watchdog reset would", self.dev)
            self.crashes += 1
            if self.hal is not None:
                crashed(self.hal.files, self.slot, self.pointer, exc)   # as the loader does
            self._kill_socket()
            self.app = None
            self.switch_on(self.now, "watchdog")
        if self.app is not None and self.app.off:
            self.after_off()
        elif self.app is not None and was and not self.app.net.connected:
            self.drops += 1
            log.info("%s: connection dropped: %s", self.dev, self.app.net.last_error)

    def _flush(self) -> None:
        """Send what the step wrote (the socket gathers a packet's pieces; see hal.netsock)."""
        sock = self.sockets.last if self.sockets is not None else None
        if sock is not None:
            try:
                sock.flush()
            except OSError as exc:      # the next step's read finds the link down and reconnects
                log.info("%s: send failed: %r", self.dev, exc)

    def run_fine(self, ms: int) -> None:
        """Run the loop at its button-sampling pace for ``ms`` (a level change needs it to debounce)."""
        if self.hal is None:
            return
        end = self.hal.now + ms
        while self.app is not None and self.hal is not None and self.hal.now < end:
            self.step()
            if self.hal is not None:
                self.hal.advance(FINE_STEP_MS)
        if self.hal is not None:
            self.now = self.hal.now

    def hold(self, button: str, hold_ms: int) -> int:
        """Press ``button`` for ``hold_ms`` and run the loop finely through it. Returns when pressed."""
        assert self.hal is not None
        at = self.hal.now
        self.hal.press(button, at_ms=at, hold_ms=hold_ms)
        release = at + hold_ms
        end = release + 2 * FINE_STEP_MS
        while self.app is not None and self.hal.now < end:
            self.step()
            if self.hal is not None:
                # Finely around the edges (the debounce), coarsely while a long press is held:
                # the firmware times the hold from the edges, and 90 steps per long press were
                # a quarter of a simulated day's pad steps.
                now = self.hal.now
                held = at + EDGE_MS <= now and now + HELD_STEP_MS <= release - EDGE_MS
                self.hal.advance(HELD_STEP_MS if held else FINE_STEP_MS)
        if self.hal is not None:
            self.now = self.hal.now
        return at

    # -- network and faults -----------------------------------------------------------------

    def set_wifi(self, up: bool) -> None:
        self.wifi_up = up
        if self.hal is not None:
            self.hal.wifi_up = up

    def set_stuck(self, button: str, stuck: bool) -> None:
        (self.stuck.add if stuck else self.stuck.discard)(button)
        if self.hal is not None:
            self.hal.set_button(button, stuck)

    @property
    def connected(self) -> bool:
        return self.app is not None and self.app.net.connected

    def unacked(self) -> int:
        return self.app.log.unacked() if self.app is not None else 0

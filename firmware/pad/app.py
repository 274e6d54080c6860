"""PadApp: the pad's cooperative main loop (one ``step()`` every few milliseconds).

One step: read the buttons and act on them (log first, then show: contract delivery rule
1), run the mode timers and self-checks, then do one bounded piece of network work, reading
the buttons again in between, then feed the watchdog.  Nothing in a step waits on the
network longer than a socket timeout (``net.SOCKET_TIMEOUT_S``), and the buttons and the
display never wait for the network at all except for that bound.  While an update runs,
one piece of it (``firmware/ota``) follows the network work.

    app = PadApp(hal, screen)      # screen: object with show(mode, info) or None
    app.run()                      # forever on the device; run(steps=n) in tests

``boot`` is what the loader (``firmware/loader.py``) chose: ``(slot, pointer)``; without it
the program runs as slot "a" and leaves the pointer alone.
"""

from firmware.hal import TYPE_CHECKING
from firmware.pad import forget
from firmware.pad.buttons import Buttons
from firmware.pad.clock import Clock
from firmware.pad.eventlog import EventLog, LogError
from firmware.pad.health import Health
from firmware.pad.modes import PROMPT, REASON, THANKS, Modes
from firmware.pad.net import Net, ping_idle_ms
from firmware.pad.sender import Sender
from firmware.pad.settings import Config, load_identity
from protocol import pad, wire

if TYPE_CHECKING:
    from firmware.hal.board import Board
    from firmware.ota.update import Update
    from firmware.pad.screen import Screen
    from firmware.pad.slots import Trial

FW_VERSION = "1.0.0"        # the program's version when it was deployed over USB (no release)
LOOP_MS = 5                 # step period: debounce (20 ms) needs a few samples per window
OUTAGE_REBOOT_MS = 2 * 3600 * 1000   # MQTT down 2 h: reboot (a wedged Wi-Fi stack) as last resort
REBOOT_DELAY_MS = 3000      # after a reboot command: time to send its cmd_result
META_SAVE_MS = 10000        # persist ack ranges at most this often (flash wear)
DISPLAY_RETRY_MS = 1000     # a display that raised is tried again this often
BOOT_FILE = "log/boot"
JOB_FILE = "ota/job"        # an update in progress (firmware/ota/job.py)
BUSY = (PROMPT, THANKS, REASON)   # a citizen is at the pad: no restart now


# Rare parts are imported where they are needed, and dropped again after (``forget``): their
# bytecode would otherwise sit in the heap for good (see firmware/README.md "Heap").

def _slots():   # -> the firmware.pad.slots module
    """The slot pointer's code: at a start, and during a trial."""
    from firmware.pad import slots
    return slots


def _commands():   # -> the firmware.pad.commands module
    """The host's commands: while one is handled."""
    from firmware.pad import commands
    return commands


def _levels():   # -> the firmware.pad.levels module
    """A five-key pad's levels and reason screen: only on a pad whose layout is "five"."""
    from firmware.pad import levels
    return levels


def _ota():   # -> the firmware.ota.job module
    """An update's code: only while one runs."""
    from firmware.ota import job
    return job


class PadApp:
    def __init__(self, hal: "Board", screen: "Screen | None" = None, ident: "dict | None" = None,
                 boot: "tuple | None" = None) -> None:
        self.hal = hal
        files = self.files = hal.files
        self.ident = ident if ident is not None else load_identity(files)
        self.dev = self.ident["dev"]
        self.health = Health(hal, files)
        self.clock = Clock(hal)
        self.clock.trust_rtc(self.health.cause)
        self.config = Config(files)
        self.log = EventLog(files, self.dev)
        self.boot = self._count_boot()
        self.buttons = Buttons(hal)
        self.modes = Modes(self.dev, self.boot, self.config)
        # Five rating keys (issue 16), chosen by the identity's layout like the board's pins.
        self.levels = _levels() if self.ident.get("layout") == "five" else None
        self.reason_ms = self.ident.get("reason_s", 15) * 1000
        self.net = Net(hal, self.ident)
        self.sender = Sender(self.log, self.net)
        self.cmd_ids = []          # type: list[str]  # recent command ids (redelivery runs once)
        self.cmds_refused = 0      # commands that did not parse
        self.screen = None if self.health.safe_mode else screen
        self.off = False
        self.reboot_at = None      # type: int | None
        self.reboot_reason = ""
        self.lost = 0              # events that could not be written (flash failing)
        self.refused = 0           # events the contract refused (logged shortened instead)
        self.state_due = True      # publish state at the next chance (mode changed)
        self.reported_mode = None  # type: str | None
        self.last_state = 0
        self.meta_dirty = False
        self.meta_saved = 0
        self.shown = None          # type: tuple | None  # (mode, info) last drawn
        self.display_retry_at = 0
        self.led_on = None         # type: bool | None
        self.last_feedback_ms = None  # type: int | None  # press edge -> screen drawn, last rating
        self.slot, pointer = boot if boot is not None else ("a", None)
        self.fw = FW_VERSION
        self.trial: "Trial | None" = None      # started on trial: confirm or give up
        self.update: "Update | None" = None    # an update being carried out
        self.restart_when_idle = ""   # why to restart as soon as no prompt or thanks is on
        up = self.clock.up_ms()
        if pointer is not None:
            self.fw = _slots().version(pointer, self.slot) or FW_VERSION
        self.record([("boot", {"fw": self.fw, "reset_cause": self.health.cause})], up)
        if pointer is not None:
            _slots().start(self, pointer, up)
        if files.exists(JOB_FILE):
            _ota().resume(self, up)
        if self.screen is not None and hal.display is not None:
            try:
                hal.display.poweron()
            except Exception as exc:
                self.health.display_error = repr(exc)
        self.health.start_watchdog()
        self._refresh(up)

    def _count_boot(self) -> int:
        """boot = one more than both the stored counter and any boot in the log (power-cut safe)."""
        raw = self.files.read_small(BOOT_FILE)
        try:
            stored = int(raw) if raw else 0
        except ValueError:
            stored = 0
        boot = max(stored, self.log.max_boot) + 1
        self.files.write_small(BOOT_FILE, str(boot).encode())
        return boot

    # -- the loop ------------------------------------------------------------------------

    def run(self, steps: "int | None" = None) -> None:
        hal = self.hal
        n = 0
        while not self.off and (steps is None or n < steps):
            t0 = hal.ticks_ms()
            self.step()
            n += 1
            spent = hal.ticks_diff(hal.ticks_ms(), t0)
            if spent < LOOP_MS:
                hal.sleep_ms(LOOP_MS - spent)

    def step(self) -> None:
        up = self.clock.up_ms()
        self._inputs(up)
        self.record(self.modes.tick(up), up)
        self.record(self.health.check(up, self.buttons, self.clock, self.log), up)
        self._network()
        if self.update is not None:
            self._inputs(self.clock.up_ms())
            _ota().step(self, self.update, self.clock.up_ms())
        if self.trial is not None:
            self.trial.step(self, up)
        self._refresh(self.clock.up_ms())
        self.health.feed(up)
        if self.restart_when_idle and self.reboot_at is None and self.modes.mode not in BUSY:
            self.request_reboot(up, self.restart_when_idle, 0)
        if self.reboot_at is not None and up >= self.reboot_at and not self.buttons.touched():
            self.log.close()
            self.hal.reboot()

    def _inputs(self, up: int) -> None:
        actions = self.buttons.poll()
        if not actions:
            return                  # the common case: nothing pressed, nothing to redraw
        for action in actions:
            kind = action[0]
            if kind == "rate":
                if self.levels is not None:
                    self.record(self.levels.press(self.modes, action[1], up, self.reason_ms), up)
                else:
                    self.record(self.modes.rate(action[1], up), up)
                self._refresh(up)     # feedback now, before any network work
                i = self.buttons.names.index(action[1])
                self.last_feedback_ms = self.hal.ticks_diff(self.hal.ticks_ms(), self.buttons.cand_since[i])
            elif kind == "staff_short":
                self.record(self.modes.staff_short(up), up)
            elif kind == "staff_long":
                self.record(self.modes.staff_long(up), up)
            elif kind == "fault_report":
                self.record([("fault_report", {"detail": "reported on the pad (staff key combination)"})], up)
            elif kind == "power_off":
                self.power_off(up)
            else:   # stuck / unstuck: the self-check turns it into fault / fault_clear now
                self.record(self.health.check(up, self.buttons, self.clock, self.log, True), up)
        self._refresh(up)

    def _selftest(self, up: int) -> tuple:
        found = self.health.check(up, self.buttons, self.clock, self.log, True)
        return found, self.health.fault_codes()

    def _network(self) -> None:
        net = self.net
        up = self.clock.up_ms()
        online = self.hal.wifi_isconnected()
        if not self.health.safe_mode and self.clock.maybe_ntp(self.ident["ntp_host"], online):
            self.state_due = True
        period = self.config.get("heartbeat_s") * 1000
        net.ping_idle = ping_idle_ms(period)
        if net.step(up):
            self.sender.rewind(up)
            self.state_due = True      # birth: the retained state replaces our will
        self._inputs(self.clock.up_ms())
        while net.inbox:
            kind, payload = net.inbox.pop(0)
            up = self.clock.up_ms()
            if kind == "ack":
                if self.sender.on_ack(payload, up):
                    self.meta_dirty = True
            else:
                self._command(payload, up)
        up = self.clock.up_ms()
        if net.connected:
            if self.state_due or up - self.last_state >= period:
                if net.publish(wire.STATE, self.state_message(up), up, True):
                    self.state_due = False
                    self.last_state = up
            self._inputs(self.clock.up_ms())
            self.sender.step(self.clock.up_ms())
        up = self.clock.up_ms()
        if self.meta_dirty and up - self.meta_saved >= META_SAVE_MS:
            self._save_meta(up)
        if (net.outage_ms(up) >= OUTAGE_REBOOT_MS and self.reboot_at is None
                and self.modes.mode not in BUSY):
            detail = "rebooting after {} min without the broker ({})".format(
                net.outage_ms(up) // 60000, net.last_error[:120])
            self.record([("fault", {"code": "network", "detail": detail})], up)
            self.request_reboot(up, "long outage", 0)

    def _command(self, payload: bytes, up: int) -> None:
        handler = _commands().Commands(self.modes, self.config, self.clock, self._selftest,
                                       self.cmd_ids)
        self.record(handler.handle(payload, up), up)
        self.cmds_refused += handler.rejected
        reboot, update = handler.reboot, handler.update
        handler = None
        forget("firmware.pad.commands")
        if reboot:
            self.request_reboot(up, "host reboot command")
        if update is not None:
            self.record(_ota().start(self, update, up), up)

    def _save_meta(self, up: int) -> None:
        try:
            self.log.save_meta()
            self.meta_dirty = False
        except OSError:
            pass   # only costs resends after a reboot; the next save retries
        self.meta_saved = up

    # -- recording and showing -----------------------------------------------------------

    def record(self, events: list, up: int) -> None:
        """Write events to the log (each with its seq) -- the only way anything is reported."""
        ts = self.clock.now_ms()
        for etype, fields in events:
            try:
                seq = self.log.append(etype, self.boot, up, ts, fields)
                if etype == "eval":
                    self.modes.last_seq = seq    # what a reason event explains (``levels``)
                self.health.storage_error = None
            except LogError as exc:
                self.lost += 1
                if etype == "eval":
                    self.modes.last_seq = None
                if self.health.storage_error is None:
                    self.health.storage_error = (up, str(exc)[:120])
            except ValueError as exc:
                # The contract refuses it (a host string made it too large): keep the fact,
                # shortened, rather than lose it or stall the sender on it.
                self.refused += 1
                short = {"code": "other", "detail": "{} not logged: {}".format(etype, exc)[:120]}  # type: dict[str, object]
                if etype == "cmd_result":
                    short = {"id": fields["id"][:32], "ok": False, "detail": "result too large"}
                else:
                    etype = "fault"
                try:
                    self.log.append(etype, self.boot, up, ts, short)
                except (LogError, ValueError):
                    self.lost += 1
            dropped = self.log.take_dropped()
            if dropped:
                first, last, n = dropped
                detail = "log full: dropped {} unsent events, seq {}-{}".format(n, first, last)
                self.record([("fault", {"code": "storage", "detail": detail})], up)

    def _refresh(self, up: int) -> None:
        mode = self.modes.state_mode(self.health.faults)
        if mode != self.reported_mode:       # every change of mode is published (contract)
            self.reported_mode = mode
            self.state_due = True
        online = self.net.connected
        if online != self.led_on:           # the status LED: on while the broker is reachable
            self.led_on = online
            try:
                self.hal.led(online)
            except Exception:
                pass
        if self.screen is None:
            return
        faults = self.health.fault_codes()
        disp = self.config.display
        info = {"window": disp["window"] or self.ident.get("window", ""),
                "staff": disp["staff"], "staff_id": disp["staff_id"],
                "online": self.net.connected, "buffered": self.log.unacked(),
                "fault": faults[0] if faults else None, "window_bmp": disp["window_bmp"],
                "staff_bmp": disp["staff_bmp"], "rating": self.modes.last_rating,
                "level": self.modes.last_level, "five": self.levels is not None}
        mode = self.modes.display_mode(faults)
        if self.shown is not None and self.shown[0] == mode and self.shown[1] == info:
            return
        if self.health.display_error and up < self.display_retry_at:
            return                  # a failing I2C bus is slow: retry once a second, not every step
        try:
            self.screen.show(mode, info)
            self.health.display_error = None
            self.shown = (mode, info)
        except Exception as exc:  # a dead display must not stop the pad
            self.health.display_error = repr(exc)[:80]
            self.display_retry_at = up + DISPLAY_RETRY_MS
            self.shown = None

    def state_message(self, up: int) -> dict:
        fields = {"fw": self.fw, "boot": self.boot, "up": up, "ts": self.clock.now_ms(),
                  "buffered": self.log.unacked(), "rejected": self.log.rejected,
                  "mem_free": self.hal.mem_free(),
                  "faults": self.health.fault_codes()}
        rssi = self.hal.rssi()
        if rssi is not None:
            fields["rssi"] = rssi
        return pad.state(self.dev, self.modes.state_mode(self.health.faults), fields)

    # -- going down ------------------------------------------------------------------------

    def request_reboot(self, up: int, why: str, delay_ms: int = REBOOT_DELAY_MS) -> None:
        self.reboot_at = up + delay_ms
        self.reboot_reason = why

    def power_off(self, up: int) -> None:
        """Power key: log it, tell the broker we leave on purpose, then stop."""
        self.record([("power_off", {})], up)
        if self.net.connected:
            for _ in range(64):    # send what is pending, briefly: the log keeps the rest
                if not self.sender.step(up):
                    break
            self.net.publish(wire.STATE, pad.power_off(self.dev), up, True)
            self.net.disconnect(up)
        self._save_meta(up)
        self.log.close()
        self.off = True
        sleep = getattr(self.hal, "power_down", None)
        if sleep is not None:
            sleep()

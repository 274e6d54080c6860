"""Health: watchdog, the boot record, boot-loop safe mode, and the pad's self-checks (R7).

* Watchdog: started at boot; the app feeds it at the end of a main-loop step, and only
  while the loop is healthy (the log has not been failing for ``SICK_MS``), so a hung or
  sick loop ends in a watchdog reset, which the next ``boot`` event reports.
* Boot loop: a counter on flash goes up at every start that is not a power-on and back to
  0 once the pad has run ``STABLE_MS``.  At ``BOOTLOOP_LIMIT`` quick restarts in a row the
  pad starts in safe mode: no display driver and no NTP (the usual culprits), a
  ``watchdog`` fault raised -- but buttons, log and network still work.
* Self-checks every ``CHECK_MS``: button held > 10 s, display not answering, storage
  (write errors, log 75 % full, flash nearly full), clock never set after
  ``CLOCK_GRACE_MS``, low memory.  A change gives a ``fault`` or ``fault_clear`` event.
"""

from firmware.hal import TYPE_CHECKING
from firmware.pad import eventlog

if TYPE_CHECKING:
    from firmware.hal.board import Board, Display
    from firmware.hal.files import Files
    from firmware.pad.buttons import Buttons
    from firmware.pad.clock import Clock
    from firmware.pad.eventlog import EventLog

BOOTLOOP_FILE = "bootloop"
PROBE_FILE = "log/probe"   # written to see whether a failing flash works again
BOOTLOOP_LIMIT = 3         # three quick crashes in a row: something in start-up is broken
STABLE_MS = 60000          # a minute of running counts as a good start
WDT_MS = 30000             # > the longest bounded step (NTP 1 s, connect ~1 s) by far
CHECK_MS = 1000
CLOCK_GRACE_MS = 15 * 60 * 1000   # NTP and the host's time command both had their chance
LOW_MEMORY = 12 * 1024     # below this the next JSON or socket buffer may fail to allocate
MIN_FLASH_FREE = 64 * 1024  # room for segment rotation and small-file rewrites
SICK_MS = 5 * 60 * 1000    # the log failing this long: let the watchdog reset the pad


class Health:
    def __init__(self, hal: "Board", files: "Files") -> None:
        self.hal = hal
        self.files = files
        self.cause = hal.reset_cause()
        raw = files.read_small(BOOTLOOP_FILE)
        try:
            quick = int(raw) if raw else 0
        except ValueError:
            quick = 0
        quick = 0 if self.cause == "power_on" else quick + 1
        self.quick_restarts = quick
        self.safe_mode = quick >= BOOTLOOP_LIMIT
        self._write_counter(quick)
        self.stable = False
        self.faults = {}       # type: dict[str, str]  # code -> detail, the active faults
        self.storage_error = None  # type: tuple[int, str] | None  # (up ms first failure, text) while appends fail
        self.display_error = None  # type: str | None  # text of the last failed show()
        self._next_check = 0
        self.safe_detail = "safe mode after {} quick restarts (last: {})".format(quick, self.cause)

    def _write_counter(self, n: int) -> None:
        try:
            self.files.write_small(BOOTLOOP_FILE, str(n).encode())
        except OSError:
            pass   # a failing flash shows as a storage fault anyway

    def start_watchdog(self) -> None:
        self.hal.wdt_start(WDT_MS)

    def healthy(self, up: int) -> bool:
        err = self.storage_error
        return err is None or up - err[0] < SICK_MS

    def feed(self, up: int) -> None:
        if self.healthy(up):
            self.hal.wdt_feed()
        if not self.stable and up >= STABLE_MS:
            self.stable = True
            self._write_counter(0)

    def fault_codes(self) -> list:
        return sorted(self.faults)

    def check(self, up: int, buttons: "Buttons", clock: "Clock", log: "EventLog",
              force: bool = False) -> list:
        """Run the self-checks if due; returns fault/fault_clear events for what changed."""
        if not force and up < self._next_check:
            return []
        self._next_check = up + CHECK_MS
        found = {}
        stuck = buttons.stuck_names()
        if stuck:
            found["button_stuck"] = "held > 10 s: " + ",".join(stuck)
        disp = self.hal.display
        if disp is not None and not self.safe_mode:
            if self.display_error or not _display_ok(disp):
                found["display"] = "display not answering" + (
                    ": " + self.display_error if self.display_error else "")
        storage = self._storage(log)
        if storage:
            found["storage"] = storage
        if not clock.is_set and up >= CLOCK_GRACE_MS:
            found["clock"] = "clock never set (NTP unreachable, no time command)"
        free = self.hal.mem_free()
        if free < LOW_MEMORY:
            found["memory"] = "free heap {} bytes".format(free)
        if self.safe_mode:
            found["watchdog"] = self.safe_detail
        return self._diff(found)

    def _storage(self, log: "EventLog") -> str:
        err = self.storage_error
        if err is not None:
            # Probe: if the flash takes a small write again, the error is over (otherwise it
            # would last until the next event, and the watchdog would reset a pad that is fine).
            try:
                log.close()
                self.files.write_small(PROBE_FILE, b"ok")
                self.storage_error = None
            except OSError:
                return "log write failed: " + err[1]
        if log.nearly_full():
            return "event log {} of {} segments full ({} unsent)".format(
                len(log.segs), eventlog.MAX_SEGMENTS, log.unacked())
        try:
            free = self.files.free_bytes()
        except (OSError, AttributeError):
            return ""
        if free < MIN_FLASH_FREE:
            return "flash nearly full: {} bytes free".format(free)
        return ""

    def _diff(self, found: dict) -> list:
        out = []
        for code in found:
            if code not in self.faults:
                out.append(("fault", {"code": code, "detail": found[code][:200]}))
        for code in self.faults:
            if code not in found:
                out.append(("fault_clear", {"code": code, "detail": ""}))
        self.faults = found
        return out


def _display_ok(disp: "Display") -> bool:
    try:
        return bool(disp.check())
    except Exception:  # a driver that raises is a display that does not answer
        return False

"""A simulated board: the HAL the tests (MicroPython and CPython) and the simulator use.

* Clock: ``now`` is a plain millisecond counter you advance (``advance``); ``sleep_ms``
  advances it too, so ``PadApp.run`` can play hours in milliseconds.  ``ticks_ms`` wraps at
  2**30 like the hardware's, and ``start_ms`` lets a test begin just before the wrap.
* Buttons: ``set_button(name, pressed)`` now, or ``press(name, at_ms, hold_ms)`` scripted.
* Files: directory-backed (on the wasm interpreter its filesystem is already in memory).
  ``cut_power_after(n)`` lets only ``n`` more bytes reach flash; the write that crosses the
  budget is torn there and raises ``PowerCut``, and so does every later file operation,
  as on a pad whose power has gone.  ``cut_power_after_ops(n)`` lets ``n`` more file
  operations through (open, write, rename, remove, mkdir, rmdir; ``ops`` counts them) and
  cuts the power at the next one (a write is torn half way).
* Network: ``sockets`` is a socket module (``hal.netsock.SocketModule``) or None.
"""

from firmware.hal import TICKS_PERIOD, TYPE_CHECKING, PowerCut, Reboot, ticks_diff
from firmware.hal.files import Files

if TYPE_CHECKING:
    from typing import Any

    from firmware.hal.board import Display, Sockets

BUTTONS = ("satisfied", "unsatisfied", "staff", "power")
# A five-key board (issue 16): the rating keys left to right, 非常满意 .. 非常不满意.
BUTTONS_FIVE = ("level5", "level4", "level3", "level2", "level1", "staff", "power")


class FakeDisplay:
    """Records what was shown; ``ok = False`` makes it stop answering (display fault)."""

    def __init__(self) -> None:
        self.ok = True
        self.shown = 0
        self.last = None  # type: bytes | bytearray | None
        self.on = False

    def poweron(self) -> None:
        self.on = True

    def show(self, buf: "bytes | bytearray | None" = None) -> None:
        if not self.ok:
            raise OSError(19)   # ENODEV: what an I2C display that stopped answering raises
        self.shown += 1
        self.last = buf

    def check(self) -> bool:
        return self.ok


class _TornFile:
    """A file whose writes stop (torn) when the flash's power budget runs out."""

    def __init__(self, raw: "Any", owner: "FakeFiles") -> None:
        self.raw = raw
        self.owner = owner

    def write(self, data: bytes) -> int:
        owner = self.owner
        owner.check()
        if owner.fail_writes:
            raise OSError(5)   # EIO
        if owner.ops_left == 0:
            owner.ops += 1
            owner.budget = len(data) // 2
        else:
            owner.op()
        budget = owner.budget
        if budget is not None and budget < len(data):
            if budget:
                self.raw.write(bytes(data[:budget]))
            self.raw.flush()
            owner.budget = 0
            owner.dead = True
            raise PowerCut("power cut after {} bytes of a {}-byte write".format(budget, len(data)))
        if budget is not None:
            owner.budget = budget - len(data)
        return self.raw.write(data)

    def read(self, *a: int) -> bytes:
        self.owner.check()
        return self.raw.read(*a)

    def readinto(self, buf: bytearray) -> int:
        self.owner.check()
        return self.raw.readinto(buf)

    def seek(self, *a: int) -> int:
        return self.raw.seek(*a)

    def flush(self) -> None:
        self.owner.check()
        self.raw.flush()

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> "_TornFile":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class FakeFiles(Files):
    """Directory-backed flash with a power-cut budget (see module doc)."""

    def __init__(self, root: str) -> None:
        super().__init__(root)
        self.budget = None   # type: int | None  # bytes that may still be written; None = no cut
        self.dead = False
        self.fail_writes = False   # True: every write raises OSError (a failing flash)
        self.ops = 0               # file operations so far
        self.ops_left = None   # type: int | None  # operations before the power fails; None = no cut

    def cut_power_after(self, nbytes: int) -> None:
        self.budget = nbytes
        self.dead = False

    def cut_power_after_ops(self, n: int) -> None:
        self.ops_left = n
        self.dead = False

    def power_on(self) -> None:
        """The power is back: files work again (what was written stays as it was torn)."""
        self.budget = None
        self.ops_left = None
        self.dead = False

    def check(self) -> None:
        if self.dead:
            raise PowerCut("the power is off")

    def op(self) -> None:
        """Count one file operation; the power fails here if its budget is spent."""
        self.check()
        self.ops += 1
        if self.ops_left is not None:
            if self.ops_left == 0:
                self.dead = True
                raise PowerCut("power cut before file operation {}".format(self.ops))
            self.ops_left -= 1

    def open(self, name: str, mode: str = "rb"):
        self.check()
        if self.fail_writes and mode[0] in "wa":
            raise OSError(5)   # EIO
        self.op()
        return _TornFile(super().open(name, mode), self)

    def rename(self, old: str, new: str) -> None:
        self._spent("rename")
        super().rename(old, new)

    def remove(self, name: str) -> None:
        self._spent("remove")
        super().remove(name)

    def _spent(self, what: str) -> None:
        self.op()
        if self.budget == 0:
            self.dead = True
            raise PowerCut("power cut before a " + what)

    def mkdir(self, name: str) -> None:
        if not self.exists(name):
            self.op()
            super().mkdir(name)

    def rmdir(self, name: str) -> None:
        self.op()
        super().rmdir(name)


class FakeHal:
    """A simulated pad board.  Every argument has a default; tests set what they need."""

    BUTTONS = BUTTONS  # type: tuple
    TICKS_PERIOD = TICKS_PERIOD

    def __init__(self, root: str, start_ms: int = 0, wall_ms: "int | None" = None,
                 reset_cause: str = "power_on", sockets: "Sockets | None" = None, wifi: bool = True,
                 mem_free: int = 80000, display: "Display | str | None" = "fake",
                 layout: str = "two") -> None:
        self.now = start_ms                  # simulated monotonic ms (never wraps)
        self.files = FakeFiles(root)
        self.BUTTONS = BUTTONS_FIVE if layout == "five" else BUTTONS
        self._levels = [False] * len(self.BUTTONS)
        self._latched = [False] * len(self.BUTTONS)
        self._script = []  # type: list[tuple[int, int, bool]]  # (at_ms, index, pressed), sorted
        self._wall_base = None   # type: tuple[int, int] | None  # (now, wall_ms) when the clock was last set
        if wall_ms is not None:
            self.set_wall_ms(wall_ms)
        self.ntp_ms = None       # type: int | None  # what NTP would answer: Unix ms at ntp_at, None = unreachable
        self.ntp_calls = 0
        self._reset_cause = reset_cause
        self.sockets = sockets
        self.wifi_up = wifi          # whether the access point is in reach
        self.wifi_joined = False
        self.wifi_attempts = 0
        self._rssi = -58
        self._mem_free = mem_free
        self.display: "Display | None" = FakeDisplay() if isinstance(display, str) else display
        self.led_on = False
        self.wdt_timeout = None   # type: int | None
        self.wdt_fed = 0
        self.reboots = []  # type: list[int]
        self.image_marked = False

    # -- time ------------------------------------------------------------------------------
    def ticks_ms(self) -> int:
        return self.now & (TICKS_PERIOD - 1)

    def ticks_diff(self, a: int, b: int) -> int:
        return ticks_diff(a, b)

    def sleep_ms(self, ms: int) -> None:
        self.advance(ms)

    def advance(self, ms: int) -> None:
        self.now += ms

    def wall_ms(self) -> "int | None":
        if self._wall_base is None:
            return None
        return self._wall_base[1] + self.now - self._wall_base[0]

    def set_wall_ms(self, ms: int) -> None:
        self._wall_base = (self.now, ms)

    def ntp_sync(self, host: object = None) -> bool:
        self.ntp_calls += 1
        if self.ntp_ms is None or not self.wifi_joined:
            return False
        self.set_wall_ms(self.ntp_ms + self.now)
        return True

    # -- buttons ---------------------------------------------------------------------------
    def set_button(self, name: str, pressed: bool) -> None:
        i = self.BUTTONS.index(name)
        if pressed and not self._levels[i]:
            self._latched[i] = True
        self._levels[i] = pressed

    def press(self, name: str, at_ms: "int | None" = None, hold_ms: int = 80) -> None:
        """Script a press of ``hold_ms`` starting at ``at_ms`` (default: now)."""
        at = self.now if at_ms is None else at_ms
        i = self.BUTTONS.index(name)
        self._script.append((at, i, True))
        self._script.append((at + hold_ms, i, False))
        self._script.sort()

    def _play_script(self) -> None:
        while self._script and self._script[0][0] <= self.now:
            _, i, pressed = self._script.pop(0)
            self.set_button(self.BUTTONS[i], pressed)

    def read_buttons(self) -> list:
        self._play_script()
        return list(self._levels)

    def latched(self) -> list:
        self._play_script()
        out = self._latched
        self._latched = [False] * len(self.BUTTONS)
        return out

    def led(self, on: bool) -> None:
        self.led_on = on

    # -- network ---------------------------------------------------------------------------
    def wifi_connect(self, ssid: str, password: str) -> None:
        self.wifi_attempts += 1
        self.wifi_joined = self.wifi_up

    def wifi_isconnected(self) -> bool:
        if not self.wifi_up:
            self.wifi_joined = False
        return self.wifi_joined

    def rssi(self) -> "int | None":
        return self._rssi if self.wifi_joined else None

    def socket_module(self) -> "Sockets | None":
        return self.sockets

    # -- system ----------------------------------------------------------------------------
    def reset_cause(self) -> str:
        return self._reset_cause

    def wdt_start(self, timeout_ms: int) -> None:
        self.wdt_timeout = timeout_ms

    def wdt_feed(self) -> None:
        self.wdt_fed += 1

    def reboot(self) -> None:
        self.reboots.append(self.now)
        raise Reboot("reboot requested")

    def mem_free(self) -> int:
        return self._mem_free

    def set_mem_free(self, n: int) -> None:
        self._mem_free = n

    def image_writer(self) -> None:
        return None             # no firmware-image partitions on the simulated board

    def mark_image_valid(self) -> None:
        self.image_marked = True

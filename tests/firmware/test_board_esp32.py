"""The ESP32 board file, run under CPython against stand-ins for machine/network/ssd1306.

No hardware here: this catches wiring mistakes in the one file that only runs on the pad
(pin polarity, the one-shot edge latch, reset causes, the display, Wi-Fi) and shows that
PadApp runs on it unchanged.
"""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path
from typing import ClassVar

import pytest


class Pin:
    IN, OUT, PULL_UP, IRQ_FALLING = 1, 2, 3, 4
    all: ClassVar[dict[int, Pin]] = {}

    def __init__(self, n: int, mode: int = 0, pull: int = 0) -> None:
        self.n = n
        self.level = 1                     # pulled up: released
        self.handler = None
        self.irqs = 0
        Pin.all[n] = self

    def value(self, v: int | None = None) -> int:
        if v is not None:
            self.level = v
        return self.level

    def irq(self, trigger: int = 0, handler: object = None, hard: bool = False) -> None:
        self.handler = handler
        self.irqs += 1

    def press(self) -> None:               # a falling edge, as the hardware would signal it
        self.level = 0
        if self.handler:
            self.handler(self)  # type: ignore[operator]


class I2C:
    present = True

    def __init__(self, *a: object, **kw: object) -> None:
        pass

    def scan(self) -> list[int]:
        return [0x3C] if I2C.present else []


class SSD1306_I2C:
    def __init__(self, w: int, h: int, i2c: I2C, addr: int = 0x3C) -> None:
        if not I2C.present:
            raise OSError(19)
        self.buffer = bytearray(w * h // 8)
        self.shows = 0

    def poweron(self) -> None:
        pass

    def show(self) -> None:
        self.shows += 1


class WLAN:
    def __init__(self, mode: int) -> None:
        self.connected = False
        self.joins: list[tuple[str, str]] = []

    def active(self, on: bool) -> None:
        pass

    def connect(self, ssid: str, pw: str) -> None:
        self.joins.append((ssid, pw))

    def disconnect(self) -> None:
        pass

    def isconnected(self) -> bool:
        return self.connected

    def status(self, what: str) -> int:
        return -61


class FakeTime:
    """ticks_ms & co. as MicroPython's time module has them."""

    def __init__(self) -> None:
        self.ms = 0

    def ticks_ms(self) -> int:
        return self.ms & ((1 << 30) - 1)

    def ticks_diff(self, a: int, b: int) -> int:
        return ((a - b + (1 << 29)) & ((1 << 30) - 1)) - (1 << 29)

    def sleep_ms(self, ms: int) -> None:
        self.ms += ms

    def gmtime(self, s: int = 0) -> tuple:
        import time
        return tuple(time.gmtime(s))

    def time_ns(self) -> int:
        return 1795619743210 * 1_000_000 + self.ms * 1_000_000


@pytest.fixture
def board_mod(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    machine = types.ModuleType("machine")
    machine.Pin = Pin  # type: ignore[attr-defined]
    machine.I2C = I2C  # type: ignore[attr-defined]
    for i, name in enumerate(("PWRON_RESET", "HARD_RESET", "WDT_RESET", "DEEPSLEEP_RESET",
                              "SOFT_RESET", "BROWNOUT_RESET"), start=1):
        setattr(machine, name, i)
    machine.cause = 3  # type: ignore[attr-defined]
    machine.reset_cause = lambda: machine.cause  # type: ignore[attr-defined]
    machine.WDT = lambda timeout: types.SimpleNamespace(feed=lambda: None, timeout=timeout)  # type: ignore[attr-defined]
    network = types.ModuleType("network")
    network.STA_IF = 0  # type: ignore[attr-defined]
    network.WLAN = WLAN  # type: ignore[attr-defined]
    ssd1306 = types.ModuleType("ssd1306")
    ssd1306.SSD1306_I2C = SSD1306_I2C  # type: ignore[attr-defined]
    for mod in (machine, network, ssd1306):
        monkeypatch.setitem(sys.modules, mod.__name__, mod)
    monkeypatch.delitem(sys.modules, "firmware.boards.esp32_devkit", raising=False)
    I2C.present = True
    mod = importlib.import_module("firmware.boards.esp32_devkit")
    monkeypatch.setattr(mod, "time", FakeTime())
    monkeypatch.setattr(mod, "gc", types.SimpleNamespace(collect=lambda: None, mem_free=lambda: 90000))
    return mod


def test_buttons_are_active_low_and_edges_latch_once(board_mod: types.ModuleType) -> None:
    board = board_mod.Esp32Board()
    assert board.read_buttons() == [False, False, False, False]
    pin = Pin.all[board_mod.PINS["unsatisfied"]]
    pin.press()
    assert board.read_buttons() == [False, True, False, False]
    assert pin.handler is None            # disarmed: a bouncing contact queues nothing more
    assert board.latched() == [False, True, False, False]
    assert pin.handler is not None        # re-armed once read
    assert board.latched() == [False, False, False, False]


def test_reset_causes_map_to_the_contract(board_mod: types.ModuleType) -> None:
    board = board_mod.Esp32Board()
    machine = sys.modules["machine"]
    seen = {}
    for name, code in (("power_on", 1), ("hard", 2), ("watchdog", 3), ("deepsleep", 4),
                       ("soft", 5), ("brownout", 6), ("unknown", 99)):
        machine.cause = code  # type: ignore[attr-defined]
        seen[name] = board.reset_cause()
    assert seen == {k: k for k in seen}


def test_display_shows_a_buffer_and_a_missing_one_reports_itself(board_mod: types.ModuleType) -> None:
    board = board_mod.Esp32Board()
    buf = bytes(range(256)) * 4
    board.display.show(buf)
    assert bytes(board.display.oled.buffer) == buf and board.display.check()
    I2C.present = False
    board2 = board_mod.Esp32Board()
    assert board2.display.check() is False
    with pytest.raises(OSError):
        board2.display.show(buf)


def test_pad_app_runs_on_the_board(board_mod: types.ModuleType, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from firmware.hal.files import Files
    from firmware.pad.app import PadApp
    from tests.firmware.padkit import IDENT, RecordingScreen

    board = board_mod.Esp32Board()
    board.files = Files(str(tmp_path))
    app = PadApp(board, RecordingScreen(types.SimpleNamespace(now=0)), dict(IDENT))
    pin = Pin.all[board_mod.PINS["satisfied"]]
    clock = board_mod.time
    for i in range(40):
        if i == 5:
            pin.press()
        if i == 20:
            pin.level = 1
        app.step()
        clock.ms += 5
    evs = app.log.read(1, 10)
    assert [e["type"] for e in evs] == ["boot", "eval"]
    assert evs[0]["reset_cause"] == "watchdog"
    assert board.wlan.joins == [("hall", "pw")]          # Wi-Fi join started, not awaited


def test_a_five_key_board_reads_its_five_rating_pins(board_mod: types.ModuleType, tmp_path: Path) -> None:
    """Layout "five" (issue 16): 非常满意 .. 非常不满意 on their own pins; a press logs its level."""
    from firmware.hal.files import Files
    from firmware.pad.app import PadApp
    from tests.firmware.padkit import IDENT, RecordingScreen

    board = board_mod.Esp32Board(True, "five")
    assert board.BUTTONS == ("level5", "level4", "level3", "level2", "level1", "staff", "power")
    pins = [board_mod.PINS[n] for n in board.BUTTONS]
    assert len(set(pins)) == len(pins)                   # no two keys share a pin
    assert board_mod.Esp32Board().BUTTONS == ("satisfied", "unsatisfied", "staff", "power")
    board.files = Files(str(tmp_path))
    app = PadApp(board, RecordingScreen(types.SimpleNamespace(now=0)), {**IDENT, "layout": "five"})
    pin = Pin.all[board_mod.PINS["level2"]]
    clock = board_mod.time
    for i in range(40):
        if i == 5:
            pin.press()
        if i == 20:
            pin.level = 1
        app.step()
        clock.ms += 5
    evs = app.log.read(1, 10)
    assert [(e["type"], e.get("level"), e.get("rating")) for e in evs] == [
        ("boot", None, None), ("eval", 2, "unsatisfied")]
    assert app.modes.mode == "reason"


class Partition:
    RUNNING = 0
    valid_marked = 0

    def __init__(self, which: int) -> None:
        self.blocks: dict[int, bytes] = {}
        self.booted = False

    def get_next_update(self) -> Partition:
        Partition.next = self  # type: ignore[attr-defined]
        return self

    def writeblocks(self, n: int, data: bytes) -> None:
        self.blocks[n] = bytes(data)

    def set_boot(self) -> None:
        self.booted = True

    @staticmethod
    def mark_app_valid_cancel_rollback() -> None:
        Partition.valid_marked += 1


def test_the_board_writes_a_firmware_image_and_keeps_it(board_mod: types.ModuleType,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    board = board_mod.Esp32Board()
    assert board.image_writer() is None                  # a build without OTA partitions
    board.mark_image_valid()                             # and nothing to keep: no error
    esp32 = types.ModuleType("esp32")
    esp32.Partition = Partition  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "esp32", esp32)
    writer = board.image_writer()
    image = bytes(range(256)) * 20                       # 5120 bytes: one block and a bit
    writer.write(image[:3000])
    writer.write(image[3000:])
    writer.finish()
    part = Partition.next  # type: ignore[attr-defined]
    assert part.blocks[0] == image[:4096]
    assert part.blocks[1] == image[4096:] + b"\xff" * (8192 - len(image))
    assert part.booted is True
    board.mark_image_valid()
    assert Partition.valid_marked == 1

"""The ESP32 DevKit board (4 MB flash, littlefs): every pin and part of the pad in one file.

Another board is one new file with the same methods (see ``firmware/hal/__init__.py``).

Wiring (all buttons to GND, internal pull-ups, so pressed = 0):
    satisfied GPIO32 · unsatisfied GPIO33 · staff GPIO25 · power GPIO26 (optional)
    five keys (layout "five", issue 16), left to right: 非常满意 GPIO32 · 满意 GPIO27 ·
    基本满意 GPIO14 · 不满意 GPIO13 · 非常不满意 GPIO33 (no strapping pins; 34-39 lack pull-ups)
    status LED GPIO2 · SSD1306 128x64 on I2C0 SDA GPIO21 / SCL GPIO22, address 0x3C
The SSD1306 driver is micropython-lib's ``ssd1306`` (``mpremote mip install ssd1306``).

Only runs on the ESP32 (imports ``machine``, ``network``, ``ntptime``).
"""

import gc
import socket
import time

import machine
import network

from firmware.hal import TYPE_CHECKING
from firmware.hal.files import Files
from firmware.hal.netsock import SocketModule

if TYPE_CHECKING:
    from typing import Any

    from firmware.hal.board import Display

PINS = {"satisfied": 32, "unsatisfied": 33, "staff": 25, "power": 26,
        "level5": 32, "level4": 27, "level3": 14, "level2": 13, "level1": 33}
BUTTONS_TWO = ("satisfied", "unsatisfied", "staff", "power")
BUTTONS_FIVE = ("level5", "level4", "level3", "level2", "level1", "staff", "power")
LED_PIN = 2
I2C_SDA = 21
I2C_SCL = 22
I2C_FREQ = 400000
OLED_ADDR = 0x3C
WIDTH, HEIGHT = 128, 64
EPOCH_OFFSET_S = 0 if time.gmtime(0)[0] == 1970 else 946684800   # ports with a 2000 epoch
SOCKET_TIMEOUT_S = 0.5
NTP_TIMEOUT_S = 1

_CAUSES = {
    machine.PWRON_RESET: "power_on",
    machine.HARD_RESET: "hard",
    machine.WDT_RESET: "watchdog",
    machine.DEEPSLEEP_RESET: "deepsleep",
    machine.SOFT_RESET: "soft",
}
_BROWNOUT = getattr(machine, "BROWNOUT_RESET", None)   # not every ESP32 build names it


class Ssd1306Display:
    """The HAL's display: show a 1024-byte MONO_VLSB buffer; check() asks the I2C bus."""

    def __init__(self, i2c: "machine.I2C") -> None:
        import ssd1306  # micropython-lib driver, installed with mip
        self.i2c = i2c
        self.oled = ssd1306.SSD1306_I2C(WIDTH, HEIGHT, i2c, addr=OLED_ADDR)

    def poweron(self) -> None:
        self.oled.poweron()

    def show(self, buf: object) -> None:
        self.oled.buffer[:] = buf
        self.oled.show()

    def check(self) -> bool:
        return OLED_ADDR in self.i2c.scan()


class Esp32Board:
    BUTTONS = BUTTONS_TWO  # type: tuple

    def __init__(self, with_display: bool = True, layout: str = "two") -> None:
        """``layout``: the identity's "two" or "five" rating keys (firmware/pad/settings.py)."""
        if layout == "five":
            self.BUTTONS = BUTTONS_FIVE
        self.files = Files("")
        self._pins = [machine.Pin(PINS[n], machine.Pin.IN, machine.Pin.PULL_UP) for n in self.BUTTONS]
        self._latch = [False] * len(self._pins)
        for i, pin in enumerate(self._pins):
            self._arm(i, pin)
        self._led = machine.Pin(LED_PIN, machine.Pin.OUT)
        self.display: "Display | None" = None
        try:
            if with_display:
                self.display = Ssd1306Display(machine.I2C(0, sda=machine.Pin(I2C_SDA),
                                                          scl=machine.Pin(I2C_SCL), freq=I2C_FREQ))
        except Exception:   # absent or dead display: the self-check reports it, the pad runs on
            self.display = _NoDisplay()
        self.wlan = network.WLAN(network.STA_IF)
        self.wlan.active(True)
        self._wdt = None
        self._sockets = SocketModule(socket, SOCKET_TIMEOUT_S)

    # One edge latch per button: the handler only sets a flag and disarms itself, so a
    # bouncing contact queues at most one callback (the scheduler queue holds 8).
    def _arm(self, i: int, pin: "machine.Pin") -> None:
        def handler(p: "machine.Pin", i: int = i) -> None:
            self._latch[i] = True
            p.irq(handler=None)
        try:
            pin.irq(trigger=machine.Pin.IRQ_FALLING, handler=handler, hard=True)
        except (TypeError, ValueError):
            pin.irq(trigger=machine.Pin.IRQ_FALLING, handler=handler)

    # time
    def ticks_ms(self) -> int:
        return time.ticks_ms()  # type: ignore[attr-defined]

    def ticks_diff(self, a: int, b: int) -> int:
        return time.ticks_diff(a, b)  # type: ignore[attr-defined]

    def sleep_ms(self, ms: int) -> None:
        time.sleep_ms(ms)  # type: ignore[attr-defined]

    def wall_ms(self) -> "int | None":
        return time.time_ns() // 1000000 + EPOCH_OFFSET_S * 1000

    def set_wall_ms(self, ms: int) -> None:
        tm = time.gmtime(ms // 1000 - EPOCH_OFFSET_S)
        machine.RTC().datetime((tm[0], tm[1], tm[2], tm[6] + 1, tm[3], tm[4], tm[5], 0))

    def ntp_sync(self, host: str) -> bool:
        import ntptime
        ntptime.host = host
        ntptime.timeout = NTP_TIMEOUT_S
        try:
            ntptime.settime()
            return True
        except Exception:
            return False

    # buttons
    def read_buttons(self) -> list:
        return [not p.value() for p in self._pins]

    def latched(self) -> list:
        out = self._latch
        self._latch = [False] * len(self._pins)
        for i, pin in enumerate(self._pins):
            if out[i]:
                self._arm(i, pin)
        return out

    def led(self, on: bool) -> None:
        self._led.value(1 if on else 0)

    # network
    def wifi_connect(self, ssid: str, password: str) -> None:
        try:
            self.wlan.disconnect()
        except OSError:
            pass
        self.wlan.connect(ssid, password)   # returns at once; isconnected() tells

    def wifi_isconnected(self) -> bool:
        return self.wlan.isconnected()

    def rssi(self) -> "int | None":
        try:
            return self.wlan.status("rssi") if self.wlan.isconnected() else None
        except Exception:
            return None

    def socket_module(self) -> SocketModule:
        return self._sockets

    # system
    def reset_cause(self) -> str:
        c = machine.reset_cause()
        if _BROWNOUT is not None and c == _BROWNOUT:
            return "brownout"
        return _CAUSES.get(c, "unknown")

    def wdt_start(self, timeout_ms: int) -> None:
        self._wdt = machine.WDT(timeout=timeout_ms)

    def wdt_feed(self) -> None:
        if self._wdt is not None:
            self._wdt.feed()

    def reboot(self) -> None:
        machine.reset()

    def mem_free(self) -> int:
        gc.collect()
        return gc.mem_free()  # type: ignore[attr-defined]

    # firmware image: MicroPython's own OTA partitions (a build with two app slots)
    def image_writer(self) -> "ImageWriter | None":
        """A writer into the next OTA app partition, or None if the build has none."""
        try:
            import esp32
            part = esp32.Partition(esp32.Partition.RUNNING).get_next_update()
        except (ImportError, OSError, AttributeError):
            return None
        return ImageWriter(part)

    def mark_image_valid(self) -> None:
        """Keep the running image: cancels the bootloader's rollback (no-op without OTA)."""
        try:
            import esp32
            esp32.Partition.mark_app_valid_cancel_rollback()
        except (ImportError, OSError, AttributeError):
            pass

    def power_down(self) -> None:
        """Power key: deep sleep until the power key is pressed again."""
        import esp32
        esp32.wake_on_ext0(self._pins[3], esp32.WAKEUP_ALL_LOW)
        machine.deepsleep()


class ImageWriter:
    """Writes a firmware image into an OTA partition in 4 KB blocks, then boots it on trial.

    After ``finish`` the next reset starts the new image; unless the program calls
    ``mark_image_valid`` (the pad does when its trial confirms), the bootloader returns to the
    previous image at the reset after that (esp32.Partition rollback).
    """

    BLOCK = 4096

    def __init__(self, part: "Any") -> None:   # an esp32.Partition
        self.part = part
        self.buf = bytearray()
        self.block = 0

    def write(self, data: bytes) -> None:
        self.buf += data
        while len(self.buf) >= self.BLOCK:
            self.part.writeblocks(self.block, self.buf[:self.BLOCK])
            self.buf = self.buf[self.BLOCK:]
            self.block += 1

    def finish(self) -> None:
        if self.buf:
            self.part.writeblocks(self.block, self.buf + b"\xff" * (self.BLOCK - len(self.buf)))
            self.block += 1
            self.buf = bytearray()
        self.part.set_boot()


class _NoDisplay:
    def poweron(self) -> None:
        raise OSError("no display on the I2C bus")

    def show(self, buf: object) -> None:
        raise OSError("no display on the I2C bus")

    def check(self) -> bool:
        return False

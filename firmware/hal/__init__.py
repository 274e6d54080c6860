"""The pad's hardware abstraction layer (HAL): everything the pad core may ask of a board.

The pad core (``firmware/pad``) never imports ``machine``, ``network`` or ``socket``; it is
handed one HAL object.  Two implementations exist:

* ``firmware/boards/esp32_devkit.py`` -- the real ESP32 (pins, I2C display, Wi-Fi, NTP, WDT)
* ``firmware/hal/fake.py``            -- simulated, for tests (MicroPython and CPython) and
  the simulator: injectable clock, scripted buttons, directory-backed files, power cuts.

A HAL object provides (names are the interface; another board is one new file; the same
interface as a typing Protocol, for type checkers only, is ``hal/board.pyi``):

time
    ``ticks_ms()`` -> int         wrapping millisecond counter (period ``TICKS_PERIOD``)
    ``ticks_diff(a, b)`` -> int   signed a - b, correct across the wrap
    ``sleep_ms(ms)``              yield the CPU (the fake advances its clock instead)
    ``wall_ms()`` -> int or None  Unix ms UTC from the real-time clock; None if never set
    ``set_wall_ms(ms)``           set the real-time clock (host ``time`` command)
    ``ntp_sync(host)`` -> bool    set the real-time clock from NTP; False on failure
buttons
    ``BUTTONS``                   tuple of names, e.g. ("satisfied", "unsatisfied", "staff", "power")
    ``read_buttons()`` -> list    True where that button is pressed now (board handles polarity)
    ``latched()`` -> list         True where a press edge was seen since the last call (taps
                                  shorter than a late loop iteration are not lost)
display
    ``display``                   object with ``show(buf)``, ``poweron()``, ``check()`` -> bool;
                                  ``None`` if the board has none (or in safe mode)
    ``led(on)``                   the status LED
files
    ``files``                     a ``firmware.hal.files.Files`` rooted on the flash filesystem
network
    ``wifi_connect(ssid, password)``  start connecting (returns at once)
    ``wifi_isconnected()`` -> bool
    ``rssi()`` -> int or None
    ``socket_module()``           an object with ``socket()`` and ``getaddrinfo(host, port)``
                                  whose sockets have ``read``/``write``/``setblocking``/
                                  ``settimeout``/``close`` (see ``hal.netsock``); None = no network
system
    ``reset_cause()`` -> str      one of protocol.spec.RESET_CAUSES
    ``wdt_start(timeout_ms)`` / ``wdt_feed()``
    ``reboot()``                  does not return on hardware (the fake raises ``Reboot``)
    ``mem_free()`` -> int         free heap bytes (after a gc on hardware)
firmware image (MicroPython's own OTA partitions, where the board has them)
    ``image_writer()``            a writer (``write``, ``finish``) into the next image slot, or None
    ``mark_image_valid()``        keep the running image (cancels the bootloader's rollback)
"""

# Type checkers read ``if TYPE_CHECKING:`` blocks (the HAL's types: hal/board.pyi); the pad
# never runs them, so typing costs it no heap.
TYPE_CHECKING = False

TICKS_PERIOD = 1 << 30      # MicroPython's ticks_ms() wraps at 2**30 on every port
TICKS_HALF = TICKS_PERIOD >> 1


def ticks_diff(a: int, b: int) -> int:
    """Signed a - b of two wrapping tick values (same rule as time.ticks_diff)."""
    return ((a - b + TICKS_HALF) & (TICKS_PERIOD - 1)) - TICKS_HALF


class Reboot(Exception):
    """Raised by a simulated HAL's reboot(): the pad asked to restart (reason in args)."""


class PowerCut(Exception):
    """Raised by a simulated flash when the power fails in the middle of a write."""

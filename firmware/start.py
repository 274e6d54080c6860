"""The program's entry on the pad: the ESP32 board, the Chinese screen and the app.

The loader (``firmware/loader.py``) calls ``start`` from the slot it chose, then runs the app:
this is the one name of the program it knows, so everything else may change in a release.
"""

import sys

from firmware.boards.esp32_devkit import Esp32Board
from firmware.hal import TYPE_CHECKING
from firmware.hal.files import Files
from firmware.pad.app import PadApp
from firmware.pad.settings import SettingsError, load_identity

if TYPE_CHECKING:
    from firmware.pad.screen import Screen


def start(slot: str, pointer: dict, with_screen: bool = True) -> "PadApp | None":
    """The pad, started from ``slot``; None (and why, on the serial console) if it is not
    provisioned.  ``with_screen=False`` leaves the display out (a pad with the LED only)."""
    try:
        ident = load_identity(Files(""))
    except SettingsError as exc:
        # Not provisioned: say so on the serial console and wait for provisioning over USB.
        sys.stdout.write("evalpad: {}\n".format(exc))
        return None
    board = Esp32Board(with_screen, ident["layout"])    # the rating keys' pins (issue 16)
    screen: "Screen | None" = None
    if board.display is not None:
        try:
            from firmware.pad.screen import Screen
            screen = Screen(board.display)
        except ImportError:   # a build without the display module still runs (LED only)
            pass
    return PadApp(board, screen, ident, (slot, pointer))

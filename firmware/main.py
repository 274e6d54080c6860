"""The pad's entry point on the ESP32 (copied to the board as /main.py).

Builds the board HAL, the display and the pad core, then runs the main loop forever.
Everything else lives in /lib (firmware/, protocol/ compiled with mpy-cross).
"""

import sys

from firmware.boards.esp32_devkit import Esp32Board
from firmware.pad.app import PadApp
from firmware.pad.settings import SettingsError

try:
    from firmware.pad.screen import Screen as _Screen
except ImportError:   # a build without the display module still runs (LED only)
    _Screen = None  # type: ignore[assignment,misc]


def main() -> None:
    board = Esp32Board()
    screen = _Screen(board.display) if _Screen is not None and board.display is not None else None
    try:
        app = PadApp(board, screen)
    except SettingsError as exc:
        # Not provisioned: say so on the serial console and wait for provisioning over USB.
        sys.stdout.write("evalpad: {}\n".format(exc))
        return
    app.run()


main()

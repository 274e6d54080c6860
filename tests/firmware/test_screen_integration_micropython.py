"""PadApp driving the real Chinese display module (firmware/pad/screen.py) under MicroPython."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.micropython

KIT = (Path(__file__).with_name("padkit.py")).read_text()

PLAY = r'''
import json
import padkit as k
from firmware.hal.fake import FakeHal
from firmware.pad.app import PadApp
from firmware.pad.screen import Screen

class Spy(Screen):
    """The real Screen, remembering which modes it drew."""
    def __init__(self, display):
        super().__init__(display)
        self.modes = []
    def show(self, mode, info=None):
        drawn = super().show(mode, info)
        if drawn:
            self.modes.append(mode)
        return drawn

hal = FakeHal(k.fresh_dir("/scr"))
screen = Spy(hal.display)
app = PadApp(hal, screen, dict(k.IDENT))
k.run_ms(app, hal, 100)
k.tap(app, hal, "staff")
k.tap(app, hal, "satisfied")
k.run_ms(app, hal, 3500)
k.tap(app, hal, "staff", hold_ms=2500)
buf_paused = bytes(hal.display.last)
k.tap(app, hal, "staff", hold_ms=2500)
hal.display.ok = False                      # the display stops answering
k.tap(app, hal, "unsatisfied")
k.run_ms(app, hal, 1500)
faults = app.health.fault_codes()
hal.display.ok = True
k.run_ms(app, hal, 4500)
print(json.dumps({"modes": screen.modes, "shown": hal.display.shown, "buf": len(buf_paused),
                  "lit": sum(1 for b in buf_paused if b), "faults": faults,
                  "after": app.health.fault_codes(),
                  "events": k.brief(k.events(app, 1))}))
'''


def test_the_app_drives_the_chinese_display_through_every_mode(micropython: object) -> None:
    r = micropython.run_json(PLAY, files={"/lib/padkit.py": KIT})  # type: ignore[attr-defined]
    modes = r["modes"]
    for mode in ("serving", "prompt", "thanks", "paused"):
        assert mode in modes
    assert modes.index("prompt") < modes.index("thanks") < modes.index("paused")
    assert r["buf"] == 1024 and r["lit"] > 50          # something was drawn when paused
    # a display that stops answering is a fault; the press still counted; cleared after
    assert "display" in r["faults"]
    assert "display" not in r["after"]
    assert ["eval", "unsatisfied", False] in r["events"]
    assert ["fault", "display"] in r["events"] and ["fault_clear", "display"] in r["events"]

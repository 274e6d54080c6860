"""Test helpers for the pad core that run under MicroPython *and* CPython.

Under MicroPython the tests mount this file as /lib/padkit.py; under CPython it is
imported as tests.firmware.padkit.  Keep it to what both interpreters have.
"""

import os

from firmware.hal.fake import FakeHal
from firmware.pad.app import LOOP_MS, PadApp
from protocol import messages

IDENT = {"dev": "qp-0107", "wifi_ssid": "hall", "wifi_password": "pw", "mqtt_host": "127.0.0.1",
         "mqtt_port": 1883, "mqtt_user": "qp-0107", "mqtt_password": "pw",
         "mqtt_prefix": "evalpad/v1", "ntp_host": "ntp.test", "window": "12"}


class RecordingScreen:
    """A stand-in for firmware.pad.screen.Screen: remembers (at_ms, mode, info)."""

    def __init__(self, hal: object) -> None:
        self.hal = hal
        self.calls = []  # type: list

    def show(self, mode: str, info: dict) -> None:
        self.calls.append((self.hal.now, mode, dict(info)))  # type: ignore[attr-defined]

    def mode(self) -> object:
        return self.calls[-1][1] if self.calls else None


def rmtree(path: str) -> None:
    try:
        names = os.listdir(path)
    except OSError:
        return
    for name in names:
        p = path + "/" + name
        try:
            os.listdir(p)
            is_dir = True
        except OSError:
            is_dir = False
        if is_dir:
            rmtree(p)
        else:
            os.remove(p)
    os.rmdir(path)


def fresh_dir(path: str) -> str:
    rmtree(path)
    os.mkdir(path)
    return path


def make_app(root: str, ident: object = None, screen: bool = True, **hal_kw: object) -> tuple:
    """(app, hal, screen) on a fake board rooted at ``root`` (kept as it is)."""
    hal = FakeHal(root, **hal_kw)
    scr = RecordingScreen(hal) if screen else None
    app = PadApp(hal, scr, ident or dict(IDENT))
    return app, hal, scr


def run_ms(app: object, hal: object, ms: int, step_ms: int = LOOP_MS) -> None:
    """Play ``ms`` of simulated time through the app's own loop (``step_ms`` apart:
    coarse steps for long idle stretches; the wasm interpreter only collects garbage
    between top-level calls, so millions of 5 ms steps would be slow)."""
    end = hal.now + ms  # type: ignore[attr-defined]
    while hal.now < end:  # type: ignore[attr-defined]
        app.step()  # type: ignore[attr-defined]
        hal.advance(step_ms)  # type: ignore[attr-defined]


def tap(app: object, hal: object, name: str, hold_ms: int = 120, after_ms: int = 200) -> None:
    hal.press(name, hal.now, hold_ms)  # type: ignore[attr-defined]
    run_ms(app, hal, hold_ms + after_ms)


def events(app: object, since: int = 0) -> list:
    """Every event in the log with seq > since, as protocol dicts -- each one held to the
    host's full check (the pad builds its events without the host's tables: protocol/pad.py)."""
    evs = app.log.read(since + 1, 100000)  # type: ignore[attr-defined]
    for e in evs:
        if messages.check_event(e) != e:
            raise AssertionError("the host would store this event otherwise: {!r}".format(e))
    return evs


def brief(evs: list) -> list:
    """Events reduced to what the mode tests compare: [type, detail...]."""
    out = []
    for e in evs:
        t = e["type"]
        if t == "eval":
            out.append([t, e["rating"], e["prompted"]])
        elif t == "press_ignored":
            out.append([t, e["rating"], e["reason"]])
        elif t in ("prompt_end",):
            out.append([t, e["reason"]])
        elif t in ("fault", "fault_clear"):
            out.append([t, e["code"]])
        elif t == "cmd_result":
            out.append([t, e["ok"], e.get("detail", "")])
        else:
            out.append([t])
    return out

"""The running program's side of the slot pointer (its format: the loader, firmware/loader.py).

* ``report``: a ``cmd_result`` the pointer holds (an update that confirmed, or that the
  loader rolled back) is logged, then dropped from the pointer (``reported``).  A power cut
  between the two logs it twice, which the host ignores (it keeps a command's first answer).
* ``Trial``: a program started on trial confirms itself once it has been connected to the
  broker, with no fault it did not have before the update, for ``trial_s`` seconds in a
  row; it gives up if that has not happened within ``TRIAL_LIMIT_MS`` (the loader then
  starts the previous slot and reports why).

Loaded at start when the pointer asks for it (a trial or a report), and dropped after.
"""

import json

from firmware.hal import TYPE_CHECKING
from firmware.pad import forget

if TYPE_CHECKING:
    from firmware.pad.running import RunningApp

POINTER = "slot"
OTHER = {"a": "b", "b": "a"}
SLOT_DIRS = {"a": "lib", "b": "lib_b"}
TRIAL_STARTS = 3                   # as the loader counts them
TRIAL_S = 60                       # default confirmation time
TRIAL_LIMIT_MS = 10 * 60 * 1000    # connected and healthy within 10 min, or back


def read(files) -> dict:
    raw = files.read_small(POINTER)
    try:
        p = json.loads(raw) if raw else None
    except ValueError:
        p = None
    return p if type(p) is dict and p.get("run") in SLOT_DIRS else {"run": "a"}


def write(files, p: dict) -> None:
    files.write_small(POINTER, json.dumps(p).encode())


def version(p: dict, slot: str) -> object:
    """The release running in ``slot`` (None: a program deployed over USB)."""
    return p.get("tver") if slot == p.get("try") else p.get("ver")


def report(p: dict) -> list:
    """The events of a pending report; the caller logs them, then calls ``reported``."""
    rep = p.get("rep")
    if type(rep) is not dict:
        return []
    return [("cmd_result", {"id": str(rep.get("id"))[:64], "ok": rep.get("ok") is True,
                            "detail": str(rep.get("detail", ""))[:200]})]


def reported(files, p: dict) -> None:
    """Drop the report from the pointer once it is in the log."""
    if p.pop("rep", None) is not None:
        write(files, p)


def start(app: "RunningApp", pointer: dict, up: int) -> None:
    """At a start: log a pending report; on trial, keep watching (else this module goes)."""
    log_report(app, pointer, up)
    if pointer.get("try") == app.slot:
        app.trial = Trial(app.files, pointer, up)
    else:
        _forget()


def log_report(app: "RunningApp", pointer: dict, up: int) -> None:
    events = report(pointer)
    if events:
        app.record(events, up)           # logged first, then dropped from the pointer
        reported(app.files, pointer)


def _forget() -> None:
    forget("firmware.pad.slots")


class Trial:
    def __init__(self, files, p: dict, up: int) -> None:
        self.files = files
        self.p = p
        self.need_ms = int(p.get("trial_s") or TRIAL_S) * 1000
        self.before = p.get("faults") or []
        self.deadline = up + TRIAL_LIMIT_MS
        self.good_since = None   # type: int | None  # up ms since which all was well

    def check(self, up: int, connected: bool, faults: object) -> object:
        """None while undecided; True once confirmed; else why it failed (the caller restarts)."""
        new = [code for code in faults if code not in self.before]  # type: ignore[attr-defined]
        if not connected or new:
            self.good_since = None
        elif self.good_since is None:
            self.good_since = up
        if self.good_since is not None and up - self.good_since >= self.need_ms:
            return True
        if up >= self.deadline:
            if new:
                return "new fault " + ",".join(new)
            return "not connected to the broker for {} s within {} min".format(
                self.need_ms // 1000, TRIAL_LIMIT_MS // 60000)
        return None

    def step(self, app: "RunningApp", up: int) -> None:
        """Once per main-loop step while on trial: confirm, or give up (the app restarts)."""
        verdict = self.check(up, app.net.connected, app.health.faults)
        if verdict is True:
            log_report(app, self.confirm(), up)
            app.hal.mark_image_valid()   # a new firmware image (ESP32 OTA partition) too
            app.trial = None
            _forget()
        elif verdict is not None and not app.restart_when_idle:
            self.give_up(str(verdict))
            app.restart_when_idle = "trial failed"

    def confirm(self) -> dict:
        """Make the trial slot the one that runs; returns the pointer (with its report)."""
        p = self.p
        ver = p.get("tver")
        done = {"run": p["try"], "ver": ver}
        if p.get("id"):
            done["rep"] = {"id": p["id"], "ok": True, "detail": "running {}".format(ver)}
        write(self.files, done)        # the switch is final here; the report follows
        return done

    def give_up(self, why: str) -> None:
        """Mark the trial failed: the loader starts the previous slot at the next start."""
        self.p["why"] = why[:120]
        write(self.files, self.p)

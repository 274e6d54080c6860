"""The loader (/loader.mpy, started by /main.py): chooses the program slot and runs it.

It chooses which of the two program slots to run, then runs the pad from it:

    slot "a"   /lib/firmware, /lib/protocol      (where `evalpad pad deploy` writes over USB)
    slot "b"   /lib_b/firmware, /lib_b/protocol
    /slot      the pointer: which slot runs, and a slot on trial (JSON, written whole)

Pointer keys: ``run`` the confirmed slot and ``ver`` its release; ``try`` a slot on trial,
``tver`` its release, ``left`` trial starts left, ``id`` the update command, ``trial_s``,
``faults`` (codes active before the update), ``why`` (the trial failed: go back); ``rep`` a
``cmd_result`` the program logs once.  The program's side (report, confirm, give up) is
``firmware/pad/slots.py``; an update writes ``try`` (``firmware/ota``).

At every start on trial the loader counts one try down; a trial program that crashed
(here), failed its confirmation (it sets ``why``) or used up its tries (a boot loop or
resets before it confirmed) is left: the pointer goes back to ``run`` with a report.

The loader is never updated over the air (only over USB): it is the one piece that must work
whatever a release holds, so it imports nothing of the program before choosing the slot, and
of the program it knows one name only: ``firmware.start.start``.  It is precompiled like the
program (``evalpad pad build`` puts it at ``/loader.mpy``, outside both slots), so the pad
never compiles it from source; ``/main.py`` (source: MicroPython runs only that file) is the
two lines that import and call it.
"""

import json
import sys

SLOTS = {"a": "lib", "b": "lib_b"}
POINTER = "slot"
TRIAL_STARTS = 3      # a trial program that restarts this often without confirming is left


def read_pointer(files) -> dict:
    raw = files.read_small(POINTER)
    try:
        p = json.loads(raw) if raw else None
    except ValueError:
        p = None          # damaged: run slot a, as after a USB deploy
    if type(p) is not dict or p.get("run") not in SLOTS:
        p = {"run": "a"}
    return p


def choose(files) -> tuple:
    """(slot to start, pointer as now written): counts a trial start, or goes back."""
    p = read_pointer(files)
    trial = p.get("try")
    if trial in SLOTS and trial != p["run"]:
        left = p.get("left", 0)
        if type(left) is int and left > 0 and not p.get("why"):
            p["left"] = left - 1
            files.write_small(POINTER, json.dumps(p).encode())
            return trial, p
        p = went_back(p)
        files.write_small(POINTER, json.dumps(p).encode())
    return p["run"], p


def went_back(p: dict) -> dict:
    """The pointer after leaving a trial: the confirmed slot, and a report for the host."""
    why = p.get("why") or "restarted {} times without confirming".format(TRIAL_STARTS)
    out = {"run": p["run"]}
    if p.get("ver"):
        out["ver"] = p["ver"]
    if p.get("id"):
        back_to = p.get("ver") or "the previous program"
        detail = "rolled back from {} to {}: {}".format(p.get("tver"), back_to, why)
        out["rep"] = {"id": p["id"], "ok": False, "detail": detail[:200]}
    return out


def crashed(files, slot: str, p: dict, exc: BaseException) -> None:
    """A program raised out of its main loop; a trial one is left at the next start."""
    if slot == p.get("try"):
        p["why"] = "crashed: " + repr(exc)[:120]
        files.write_small(POINTER, json.dumps(p).encode())


class _Flash:
    """read_small / write_small at the littlefs root (as firmware.hal.files.Files, which
    the loader must not import before choosing the slot)."""

    def read_small(self, name: str):
        for candidate in (name, name + ".tmp"):
            try:
                with open("/" + candidate, "rb") as f:
                    return f.read()
            except OSError:
                pass
        return None

    def write_small(self, name: str, data: bytes) -> None:
        import os
        with open("/" + name + ".tmp", "wb") as f:
            f.write(data)
        os.rename("/" + name + ".tmp", "/" + name)


def run(slot: str, p: dict) -> None:
    """Start the pad from ``slot`` on the ESP32 (returns only if it is not provisioned)."""
    sys.path.insert(0, "/" + SLOTS[slot])
    from firmware.start import start
    app = start(slot, p)
    if app is not None:
        app.run()


def reset() -> None:
    import machine
    machine.reset()


def main(files=None, start=run, restart=reset) -> None:
    """Choose the slot and start it; a crash is recorded (for a trial) and restarts the pad.

    Tests pass their own flash, start (a simulated board) and restart."""
    files = files or _Flash()
    slot, p = choose(files)
    try:
        start(slot, p)
    except Exception as exc:
        sys.print_exception(exc)  # type: ignore[attr-defined]
        crashed(files, slot, p, exc)
        restart()


if __name__ == "__main__":
    main()

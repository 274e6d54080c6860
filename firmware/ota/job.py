"""The app's side of an update: take the command, resume after a restart, one piece a step.

Loaded by the app (``firmware/pad/app.py``) only while an update runs, and dropped when it
ends, with the rest of ``firmware.ota``.
"""

from firmware.hal import TYPE_CHECKING
from firmware.ota.update import Update
from firmware.pad import forget
from protocol.fields import decode, dumps

if TYPE_CHECKING:
    from firmware.pad.running import RunningApp

JOB_FILE = "ota/job"


def start(app: "RunningApp", cmd: dict, up: int) -> list:
    """Accept an update command (or answer at once why not); returns the events to log."""
    cid = cmd["id"]
    if app.trial is not None:
        return [("cmd_result", {"id": cid, "ok": False,
                                "detail": "{} is still on trial: send it again later".format(app.fw)})]
    if cmd["release"] == app.fw:
        end(app)
        return [("cmd_result", {"id": cid, "ok": True, "detail": "running {}".format(app.fw)})]
    if app.restart_when_idle:
        why = "restarting first ({}): send it again later".format(app.restart_when_idle)
        return [("cmd_result", {"id": cid, "ok": False, "detail": why})]
    out = []
    if app.update is not None:
        old = app.update.job["id"]
        out.append(("cmd_result", {"id": old, "ok": False, "detail": "superseded by " + cid}))
    job = {"id": cid, "release": cmd["release"], "url": cmd["url"], "sha256": cmd["sha256"],
           "trial_s": cmd.get("trial_s"), "faults": app.health.fault_codes()}
    app.files.mkdir("ota")
    app.files.write_small(JOB_FILE, dumps(job))
    resume(app, up)
    return out


def resume(app: "RunningApp", up: int) -> None:
    """Carry on with the job on flash (after a restart, or just accepted)."""
    raw = app.files.read_small(JOB_FILE)
    try:
        job = decode(raw, 4096)
        app.update = Update(app.files, app.hal.socket_module(), job, app.slot)
    except (ValueError, KeyError) as exc:
        app.files.remove(JOB_FILE)           # damaged: the host sends the update again
        why = "update job unreadable: {!r}".format(exc)[:120]
        app.record([("fault", {"code": "other", "detail": why})], up)
        end(app)


def step(app: "RunningApp", upd: Update, up: int) -> None:
    try:
        result = upd.step(up)
    except Exception as exc:   # never let an update stop the pad
        upd.finish()
        result = exc
    if result is None:
        return
    if result == "installed":
        app.restart_when_idle = "update installed"
    else:
        app.record([("cmd_result", {"id": upd.job["id"], "ok": False,
                                    "detail": "refused: {}".format(result)[:200]})], up)
    end(app)


def end(app: "RunningApp") -> None:
    app.update = None
    forget("firmware.ota")
    if app.trial is None:
        forget("firmware.pad.slots")

"""The host's commands (contract "Commands"), each answered by a ``cmd_result`` event.

A command past its ``expires`` (by the pad's clock, once set) is not executed and is
answered ``ok: false, detail: "expired"``.  A command that does not parse is answered
``ok: false`` with the parser's reason when it carries an ``id``, and otherwise only
logged.  A repeated id (MQTT QoS 1 may redeliver) is executed once.
"""

import json

from protocol import messages
from protocol.errors import ProtocolError

RECENT_IDS = 16       # ids remembered against redelivery (redeliveries come within seconds)


class Commands:
    def __init__(self, app: object) -> None:
        self.app = app
        self.recent = []  # type: list
        self.rejected = 0

    def handle(self, payload: bytes, up: int) -> list:
        """Execute one command; returns the events to log (the cmd_result last)."""
        try:
            cmd = messages.parse_command(payload)
        except ProtocolError as exc:
            self.rejected += 1
            cid = _raw_id(payload)
            if cid is None:
                return []
            return [("cmd_result", {"id": cid, "ok": False, "detail": str(exc)[:200]})]
        cid = cmd["id"]
        if cid in self.recent:
            return []
        self.recent.append(cid)
        if len(self.recent) > RECENT_IDS:
            self.recent.pop(0)
        app = self.app
        if messages.is_expired(cmd, app.clock.now_ms()):  # type: ignore[attr-defined]
            return [("cmd_result", {"id": cid, "ok": False, "detail": "expired"})]
        try:
            events, detail = self._run(cmd, up)
        except Exception as exc:  # the host must hear why, never silence
            return [("cmd_result", {"id": cid, "ok": False, "detail": str(exc)[:200]})]
        events.append(("cmd_result", {"id": cid, "ok": True, "detail": detail}))
        return events

    def _run(self, cmd: dict, up: int) -> tuple:
        app = self.app
        t = cmd["type"]
        modes = app.modes  # type: ignore[attr-defined]
        if t == "prompt":
            return modes.host_prompt(cmd["svc"], up), ""
        if t == "pause":
            return modes.pause(cmd.get("reason", ""), up), ""
        if t == "resume":
            return modes.resume(cmd.get("reason", ""), up), ""
        if t == "display":
            app.config.set_display(cmd)  # type: ignore[attr-defined]
            return [], ""
        if t == "config":
            applied = app.config.update(cmd)  # type: ignore[attr-defined]
            return [], ",".join(sorted(applied))
        if t == "time":
            app.clock.set_ms(cmd["ts"], "host")  # type: ignore[attr-defined]
            return [], ""
        if t == "selftest":
            found = app.health.check(up, app, True)  # type: ignore[attr-defined]
            faults = app.health.fault_codes()  # type: ignore[attr-defined]
            return found, "faults: " + (",".join(faults) if faults else "none")
        if t == "reboot":
            app.request_reboot(up, "host reboot command")  # type: ignore[attr-defined]
            return [], "rebooting"
        raise ProtocolError("unknown_type", "command type {!r} not handled".format(t))


def _raw_id(payload: bytes) -> object:
    try:
        cid = json.loads(payload).get("id")
    except (ValueError, AttributeError):
        return None
    return cid if type(cid) is str and 0 < len(cid) <= 64 else None

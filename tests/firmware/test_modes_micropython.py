"""The pad's modes and buttons under the real MicroPython interpreter (R1, R5, R6, R7).

One interpreter run plays every scenario on the fake board and prints the logged events as
JSON; the assertions here read like the rules.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.micropython

KIT = (Path(__file__).with_name("padkit.py")).read_text()

SCENARIOS = r'''
import json
import padkit as k
from firmware.pad import buttons as B

out = {}

def fresh(name, **kw):
    return k.make_app(k.fresh_dir("/pads/" + name), **kw)

import os
try:
    os.mkdir("/pads")
except OSError:
    pass

# 1. presses outside a prompt count (prompted:false); repeats during thanks do not
app, hal, scr = fresh("outside")
k.tap(app, hal, "satisfied")
k.tap(app, hal, "unsatisfied")                 # still in thanks (3 s)
k.run_ms(app, hal, 3000)                      # thanks over
k.tap(app, hal, "unsatisfied")
out["outside"] = k.brief(k.events(app, 1))
out["outside_modes"] = [c[1] for c in scr.calls]

# 2. one rating per prompt
app, hal, scr = fresh("prompt")
k.tap(app, hal, "staff")
k.tap(app, hal, "unsatisfied")
k.tap(app, hal, "satisfied")
k.tap(app, hal, "satisfied")
evs = k.events(app, 1)
out["prompt"] = k.brief(evs)
out["prompt_svcs"] = [e.get("svc") for e in evs if e["type"] in ("prompt", "eval", "prompt_end")]
out["prompt_source"] = evs[0].get("source")

# 3. prompt timeout, then staff cancels a second prompt
app, hal, scr = fresh("timeout")
k.tap(app, hal, "staff")
k.run_ms(app, hal, 61000)
k.tap(app, hal, "staff")
k.tap(app, hal, "staff")
out["timeout"] = k.brief(k.events(app, 1))

# 4. long press pauses; presses while paused are ignored; long press resumes
app, hal, scr = fresh("paused")
k.tap(app, hal, "staff", hold_ms=2500)
mode_paused = scr.mode()
state_paused = app.state_message(0)["mode"]
k.tap(app, hal, "satisfied")
k.tap(app, hal, "staff")                       # short press while paused: nothing
k.tap(app, hal, "staff", hold_ms=2500)
k.tap(app, hal, "unsatisfied")
out["paused"] = k.brief(k.events(app, 1))
out["paused_screen"] = mode_paused
out["paused_state"] = state_paused

# 5. debounce: a bouncing contact is one press; a 10 ms glitch is none
app, hal, scr = fresh("bounce")
t = hal.now + 10
for i in range(6):                              # 6 edges 3 ms apart, then held
    hal._script.append((t + 3 * i, 0, i % 2 == 0))
hal._script.append((t + 18, 0, True))
hal._script.append((t + 200, 0, False))
hal._script.sort()
k.run_ms(app, hal, 400)
k.run_ms(app, hal, 3500)
hal.press("unsatisfied", hal.now, 10)           # shorter than the 20 ms debounce
k.run_ms(app, hal, 300)
out["bounce"] = k.brief(k.events(app, 1))

# 6. feedback: the screen shows thanks within 50 ms of the press edge (loop every 5 ms)
app, hal, scr = fresh("latency")
at = hal.now + 7
hal.press("satisfied", at, 150)
k.run_ms(app, hal, 300)
shown = [c[0] for c in scr.calls if c[1] == "thanks"]
out["latency_ms"] = shown[0] - at if shown else None
out["latency_logged_first"] = k.events(app, 1)[0]["type"]

# 7. a button held > 10 s is a stuck-button fault, cleared when it comes free
app, hal, scr = fresh("stuck")
hal.press("satisfied", hal.now, 12000)
k.run_ms(app, hal, 11000)
out["stuck_mode"] = app.state_message(0)["mode"]
out["stuck_faults"] = app.health.fault_codes()
k.run_ms(app, hal, 4000)
out["stuck"] = k.brief(k.events(app, 1))

# 8. staff key + unsatisfied held: fault_report, and no rating counted
app, hal, scr = fresh("combo")
hal.press("staff", hal.now, 4000)
hal.press("unsatisfied", hal.now + 300, 3500)
k.run_ms(app, hal, 4500)
out["combo"] = k.brief(k.events(app, 1))

# 9. a tap shorter than one late loop iteration is still counted (edge latch)
app, hal, scr = fresh("late")
hal.press("satisfied", hal.now + 1, 30)
hal.advance(100)                                # the loop was busy (network) for 100 ms
k.run_ms(app, hal, 50)
out["late"] = k.brief(k.events(app, 1))

# 10. power key held: power_off logged, app stops
app, hal, scr = fresh("power")
hal.press("power", hal.now, 2500)
k.run_ms(app, hal, 2600)
out["power"] = k.brief(k.events(app, 1))
out["power_off"] = app.off

print(json.dumps(out))
'''


@pytest.fixture(scope="module")
def played(micropython: object) -> dict:
    return micropython.run_json(SCENARIOS, files={"/lib/padkit.py": KIT})  # type: ignore[attr-defined]


def test_press_outside_a_prompt_counts_unprompted_and_repeats_are_ignored(played: dict) -> None:
    assert played["outside"] == [
        ["eval", "satisfied", False],
        ["press_ignored", "unsatisfied", "repeat"],
        ["eval", "unsatisfied", False],
    ]
    assert "thanks" in played["outside_modes"]


def test_exactly_one_rating_counts_per_prompt(played: dict) -> None:
    assert played["prompt"] == [
        ["prompt"],
        ["eval", "unsatisfied", True],
        ["prompt_end", "rated"],
        ["press_ignored", "satisfied", "repeat"],
        ["press_ignored", "satisfied", "repeat"],
    ]
    svcs = played["prompt_svcs"]
    assert len(set(svcs)) == 1 and svcs[0] == "qp-0107-1-1"
    assert played["prompt_source"] == "key"


def test_prompt_times_out_and_staff_can_cancel(played: dict) -> None:
    assert played["timeout"] == [["prompt"], ["prompt_end", "timeout"], ["prompt"],
                                 ["prompt_end", "cancelled"]]


def test_paused_presses_are_logged_not_counted(played: dict) -> None:
    assert played["paused"] == [
        ["pause"],
        ["press_ignored", "satisfied", "paused"],
        ["resume"],
        ["eval", "unsatisfied", False],
    ]
    assert played["paused_screen"] == "paused"
    assert played["paused_state"] == "paused"


def test_debounce_counts_a_bouncing_press_once_and_ignores_a_glitch(played: dict) -> None:
    assert played["bounce"] == [["eval", "satisfied", False]]


def test_feedback_within_50_ms_and_logged_before_shown(played: dict) -> None:
    assert played["latency_ms"] is not None and played["latency_ms"] <= 50
    assert played["latency_logged_first"] == "eval"


def test_button_held_over_10_s_is_a_stuck_fault_until_released(played: dict) -> None:
    assert played["stuck_faults"] == ["button_stuck"]
    assert played["stuck_mode"] == "fault"
    assert played["stuck"] == [["eval", "satisfied", False], ["fault", "button_stuck"],
                               ["fault_clear", "button_stuck"]]


def test_staff_key_combination_reports_a_fault_without_rating(played: dict) -> None:
    assert played["combo"] == [["fault_report"]]


def test_tap_during_a_late_loop_is_not_lost(played: dict) -> None:
    assert played["late"] == [["eval", "satisfied", False]]


def test_power_key_logs_power_off_and_stops(played: dict) -> None:
    assert played["power"] == [["power_off"]]
    assert played["power_off"] is True

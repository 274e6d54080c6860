"""A five-key pad (好差评, issue 16) under the real MicroPython interpreter.

The layout is chosen by the identity (``layout: five``) with the board's five rating keys;
a press is an eval with its level and the rating it means; a host prompt's case and item
ride on into the prompt and eval events; after level 1-2 the reason screen shows and a key
there logs a ``reason`` naming the eval; the screen ends by its timeout, skip, a new prompt,
and never swallows the next citizen's press once it is gone. Every event is held to the
host's full check (padkit.events).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol import messages

pytestmark = pytest.mark.micropython

KIT = (Path(__file__).with_name("padkit.py")).read_text()

SCENARIOS = r'''
import json, os, sys
import padkit as k
from protocol import messages

out = {}
try:
    os.mkdir("/pads")
except OSError:
    pass

def fresh(name, reason_s=15, layout="five"):
    ident = dict(k.IDENT)
    ident["layout"] = layout
    ident["reason_s"] = reason_s
    return k.make_app(k.fresh_dir("/pads/" + name), ident, layout=layout)

def cmd(app, hal, **kw):
    app.net.inbox.append(("cmd", messages.encode(messages.command("c-" + str(hal.now), "prompt", **kw))))
    k.run_ms(app, hal, 50)

def seen(evs):
    return [{x: e[x] for x in e if x not in ("v", "dev", "boot", "up", "ts")} for e in evs]

# 0. a two-key pad never loads the five-key code
app, hal, scr = fresh("two", layout="two")
out["two_buttons"] = list(hal.BUTTONS)
out["two_levels_loaded"] = "firmware.pad.levels" in sys.modules
k.tap(app, hal, "unsatisfied")
k.run_ms(app, hal, 3500)
out["two"] = seen(k.events(app, 1))
out["two_modes"] = [c[1] for c in scr.calls]

# 1. each level from every key, unprompted; 3-5 satisfied go straight to thanks
app, hal, scr = fresh("levels")
out["five_buttons"] = list(hal.BUTTONS)
out["five_levels_loaded"] = "firmware.pad.levels" in sys.modules
for n in (5, 4, 3):
    k.tap(app, hal, "level" + str(n))
    info = scr.calls[-1][2]
    out.setdefault("thanks_info", []).append([scr.mode(), info["level"], info["five"]])
    k.run_ms(app, hal, 3500)
out["levels"] = seen(k.events(app, 1))

# 2. a host prompt with case and item; level 2; the reason screen; pick 服务态度 (third key)
app, hal, scr = fresh("reason")
cmd(app, hal, svc="A0123", case="QP2026120100123", item="居住证办理")
k.tap(app, hal, "level2")
out["reason_mode"] = scr.mode()
out["reason_state"] = app.state_message(0)["mode"]
k.tap(app, hal, "level3")                  # the third key from the left: attitude
out["after_pick"] = scr.mode()
k.run_ms(app, hal, 3500)
out["after_thanks"] = scr.mode()
out["reason"] = seen(k.events(app, 1))

# 3. nobody picks: the reason screen times out (reason_s = 10); the next press is a rating
app, hal, scr = fresh("timeout", reason_s=10)
k.tap(app, hal, "level1")
k.run_ms(app, hal, 9000, 20)
out["still_reason"] = scr.mode()
k.run_ms(app, hal, 1500, 20)
out["timed_out"] = scr.mode()
k.tap(app, hal, "level4")
out["timeout"] = seen(k.events(app, 1))

# 4. the staff key (the next citizen) ends the reason screen at once; no reason is logged
app, hal, scr = fresh("next")
k.tap(app, hal, "level1")
k.tap(app, hal, "staff")
out["next_mode"] = scr.mode()
k.tap(app, hal, "level5")
out["next"] = seen(k.events(app, 1))

# 5. a host prompt ends it too; the skip key (fifth) logs nothing
app, hal, scr = fresh("host")
k.tap(app, hal, "level2")
cmd(app, hal, svc="B0001")
out["host_mode"] = scr.mode()
k.tap(app, hal, "level1")
k.tap(app, hal, "level1")                  # the fifth key on the reason screen: skip
out["skip_mode"] = scr.mode()
k.tap(app, hal, "level5")
out["host"] = seen(k.events(app, 1))

# 6. reason_s = 0: no reason screen at all
app, hal, scr = fresh("off", reason_s=0)
k.tap(app, hal, "level1")
out["off_mode"] = scr.mode()

# 7. fault report combination on five keys: staff + 非常不满意 held 3 s, never a rating
app, hal, scr = fresh("combo")
hal.press("staff", hal.now, 3600)
hal.press("level1", hal.now + 100, 3400)
k.run_ms(app, hal, 4000)
out["combo"] = [e["type"] for e in k.events(app, 1)]
print(json.dumps(out))
'''


@pytest.fixture(scope="module")
def played(micropython: object) -> dict:
    return micropython.run_json(SCENARIOS, files={"/lib/padkit.py": KIT})  # type: ignore[attr-defined]


def test_the_layout_is_chosen_by_config_and_two_keys_never_load_the_five_key_code(played: dict) -> None:
    assert played["two_buttons"] == ["satisfied", "unsatisfied", "staff", "power"]
    assert played["two_levels_loaded"] is False
    assert played["five_buttons"] == ["level5", "level4", "level3", "level2", "level1", "staff", "power"]
    assert played["five_levels_loaded"] is True
    # A two-key unsatisfied press: no level, thanks (no reason screen), as before.
    assert played["two"] == [
        {"seq": 2, "type": "eval", "rating": "unsatisfied", "svc": None, "prompted": False}]
    assert "reason" not in played["two_modes"] and "thanks" in played["two_modes"]


def test_each_key_logs_its_level_and_the_rating_it_means(played: dict) -> None:
    assert [(e["level"], e["rating"]) for e in played["levels"]] == [
        (5, "satisfied"), (4, "satisfied"), (3, "satisfied")]
    assert played["thanks_info"] == [["thanks", 5, True], ["thanks", 4, True], ["thanks", 3, True]]


def test_case_and_item_ride_on_and_a_picked_reason_names_the_eval(played: dict) -> None:
    evs = played["reason"]
    assert [e["type"] for e in evs] == ["prompt", "cmd_result", "eval", "prompt_end", "reason"]
    by_type = {e["type"]: e for e in evs}
    assert by_type["prompt"] == {"seq": by_type["prompt"]["seq"], "type": "prompt", "svc": "A0123",
                                 "source": "host", "case": "QP2026120100123", "item": "居住证办理"}
    ev = by_type["eval"]
    assert (ev["rating"], ev["level"], ev["svc"], ev["prompted"], ev["case"], ev["item"]) == (
        "unsatisfied", 2, "A0123", True, "QP2026120100123", "居住证办理")
    assert by_type["reason"]["of"] == ev["seq"] and by_type["reason"]["reasons"] == ["attitude"]
    assert played["reason_mode"] == "reason" and played["reason_state"] == "serving"
    assert (played["after_pick"], played["after_thanks"]) == ("thanks", "serving")


def test_the_reason_screen_times_out_and_the_next_press_is_a_rating(played: dict) -> None:
    assert (played["still_reason"], played["timed_out"]) == ("reason", "serving")
    assert [(e["type"], e.get("level")) for e in played["timeout"]] == [("eval", 1), ("eval", 4)]


def test_a_new_prompt_ends_the_reason_screen_without_a_reason(played: dict) -> None:
    assert played["next_mode"] == "prompt"
    assert [(e["type"], e.get("level"), e.get("prompted")) for e in played["next"]] == [
        ("eval", 1, False), ("prompt", None, None), ("eval", 5, True), ("prompt_end", None, None)]
    assert played["host_mode"] == "prompt"
    kinds = [(e["type"], e.get("level")) for e in played["host"] if e["type"] != "cmd_result"]
    # level 2, then the host's prompt; level 1 answers it (reason screen), skip, then level 5.
    assert kinds == [("eval", 2), ("prompt", None), ("eval", 1), ("prompt_end", None), ("eval", 5)]
    assert played["skip_mode"] == "serving"
    assert not [e for e in played["host"] if e["type"] == "reason"]


def test_no_reason_screen_when_its_time_is_zero(played: dict) -> None:
    assert played["off_mode"] == "thanks"


def test_staff_and_the_worst_key_report_a_fault_without_rating(played: dict) -> None:
    assert played["combo"] == ["fault_report"]


def test_what_the_pad_logs_passes_the_hosts_check() -> None:
    """(padkit.events checks each under MicroPython; here the host's parser on CPython too.)"""
    ev = messages.event("qp-0107", 3, 1, 10, None, "reason", of=2, reasons=["attitude"])
    assert messages.parse_event(messages.encode(ev), "qp-0107") == ev

"""Random sequences of presses, staff keys and host commands keep the rules (CPython).

Whatever the order and timing: every rating press is logged exactly once (counted or
ignored, never lost); at most one rating counts per prompt and it ends that prompt; every
prompt ends exactly once; nothing counts while paused (R1, R6).
"""

from __future__ import annotations

import itertools
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol import messages
from tests.firmware import padkit as k

ACTIONS = st.lists(st.tuples(
    st.sampled_from(["satisfied", "unsatisfied", "staff", "staff_long", "host_prompt",
                     "host_pause", "host_resume"]),
    st.integers(min_value=0, max_value=70000)), min_size=1, max_size=25)

_ids = itertools.count()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ACTIONS)
def test_random_operation_keeps_one_rating_per_prompt_and_loses_no_press(actions: list) -> None:
    with tempfile.TemporaryDirectory() as root:
        app, hal, _ = k.make_app(root, screen=False)
        presses = 0
        for action, wait in actions:
            if action in ("satisfied", "unsatisfied"):
                presses += 1
                k.tap(app, hal, action, hold_ms=100, after_ms=50)
            elif action == "staff":
                k.tap(app, hal, "staff", hold_ms=100, after_ms=50)
            elif action == "staff_long":
                k.tap(app, hal, "staff", hold_ms=2500, after_ms=50)
            else:
                kind = action[5:]
                fields = {"svc": "S{}".format(next(_ids))} if kind == "prompt" else {}
                cmd = messages.command("c-{}".format(next(_ids)), kind, **fields)
                app.net.inbox.append(("cmd", messages.encode(cmd)))
                k.run_ms(app, hal, 50)
            k.run_ms(app, hal, wait, step_ms=50)
        evs = k.events(app)

    seqs = [e["seq"] for e in evs]
    assert seqs == list(range(1, len(evs) + 1))
    ratings = [e for e in evs if e["type"] in ("eval", "press_ignored")]
    assert len(ratings) == presses                      # every press logged exactly once
    open_svc = None
    rated = False
    paused = False
    for i, e in enumerate(evs):
        t = e["type"]
        if t == "prompt":
            assert open_svc is None, "a prompt started while another was open"
            open_svc, rated = e["svc"], False
        elif t == "prompt_end":
            assert e["svc"] == open_svc
            assert (e["reason"] == "rated") == rated
            open_svc = None
        elif t == "eval":
            assert not paused
            if e["prompted"]:
                assert e["svc"] == open_svc and not rated
                rated = True
                assert evs[i + 1]["type"] == "prompt_end" and evs[i + 1]["reason"] == "rated"
            else:
                assert open_svc is None and e["svc"] is None
        elif t == "press_ignored":
            assert (e["reason"] == "paused") == paused
        elif t == "pause":
            assert open_svc is None and not paused
            paused = True
        elif t == "resume":
            assert paused
            paused = False

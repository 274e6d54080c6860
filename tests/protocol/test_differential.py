"""Differential fuzzing: CPython and the real MicroPython give the same verdict on every payload.

Hypothesis cannot drive the wasm interpreter in-process, so this test mutates the accepted
golden payloads with a seeded random generator (the same cases on every run), serialises
them as valid JSON (as any conforming sender would), runs all of them in ONE MicroPython
call and compares each verdict with CPython's: the same parsed message, or the same
refusal code and field. Inputs that are not valid JSON are left out on purpose: there
MicroPython's json is knowingly lenient (test_cpython_only.py).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from protocol import spec
from tests.protocol import golden, golden_runner

SEED = 20261125
MUTANTS = 2500          # about a second under MicroPython
TRICKY = [None, True, False, 0, 1, -1, 1.5, 5.0, 1e16, spec.UINT_LIMIT - 1, spec.UINT_LIMIT, -spec.UINT_LIMIT,
          -spec.UINT_LIMIT - 1, 86400, 86401, "", "x", "窗" * 300, "a" * 256, "a" * 257, "\x00", "😀", "\n",
          [], {}, [1, 2], [[1, 2]], [[2, 1]], [[1, 2, 3]], ["display"], [""], {"v": 1}, "qp-0107", "QP-0107",
          *spec.RATINGS, *spec.MODES, *spec.FAULT_CODES, *spec.RESET_CAUSES, *spec.EVENT_TYPES,
          *spec.COMMAND_TYPES, "power_off"]


KEYS = ["x", "type", "mode", "online", "ack", "svc", "detail", "dev", "v", "expires"]


def _seeds() -> list[tuple[str, str | None, dict[str, Any]]]:
    out = []
    for case in golden.load_all():
        if case["op"] == "parse" and "ok" in case["expected"]:
            obj = json.loads(bytes.fromhex(case["args"][1]["$bytes"]))
            out.append((case["args"][0], case["args"][2], obj))
    return out


def _mutate(rng: random.Random, msg: dict[str, Any]) -> Any:
    msg = dict(msg)
    for _ in range(rng.randint(1, 3)):
        how = rng.random()
        keys = sorted(msg)
        if how < 0.25 and keys:
            del msg[rng.choice(keys)]
        elif how < 0.75 and keys:
            msg[rng.choice(keys)] = rng.choice(TRICKY)
        elif how < 0.9:
            msg[rng.choice(KEYS)] = rng.choice(TRICKY)
        else:
            return rng.choice([[msg], "msg", 7, None])
    return msg


def _cases() -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    seeds = _seeds()
    cases = []
    for i in range(MUTANTS):
        kind, dev, msg = rng.choice(seeds)
        payload = golden.wire_bytes(_mutate(rng, msg))
        args = [kind, {"$bytes": payload.hex()}, dev]
        cases.append({"id": str(i), "op": "parse", "args": args, "kwargs": {}})
    return cases


CASES = _cases()


def _verdict(result: dict[str, Any]) -> Any:
    if "error" in result:
        return ["error", result["error"]["code"], result["error"]["field"]]
    return ["ok", result.get("ok"), result.get("raises")]


def test_the_mutants_hit_both_outcomes() -> None:
    """Guard: the generator yields accepted and refused payloads, and many distinct codes."""
    results = [golden_runner.run_case(c) for c in CASES]
    accepted = sum("ok" in r for r in results)
    codes = {r["error"]["code"] for r in results if "error" in r}
    assert accepted > MUTANTS // 20, accepted
    assert {"bad_field", "missing_field", "bad_version", "unknown_type", "not_object", "too_large"} <= codes


@pytest.mark.micropython
def test_micropython_and_cpython_agree(micropython: Any) -> None:
    code = ("import json, golden_runner\n"
            "print(json.dumps(golden_runner.run_all(json.loads(open('/cases.json').read()))))\n")
    files = {"/lib/golden_runner.py": Path(golden_runner.__file__).read_text(),
             "/cases.json": json.dumps(CASES)}
    mp_results = json.loads(micropython.run(code, files=files, heapsize=32 << 20).strip().splitlines()[-1])
    differ = []
    for case in CASES:
        cp = json.loads(json.dumps(golden_runner.run_case(case)))
        mp = mp_results[case["id"]]
        assert "raises" not in cp and "raises" not in mp, (case, cp, mp)
        a, b = _verdict(cp), _verdict(mp)
        same = a == b if a[0] == "error" else golden.strict_equal(a, b)
        if not same:
            differ.append((bytes.fromhex(case["args"][1]["$bytes"])[:120], a, b))
    assert not differ, f"{len(differ)} of {len(CASES)} differ, e.g.:\n" + "\n".join(map(repr, differ[:5]))

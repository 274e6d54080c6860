"""Inputs kept out of the shared golden set: MicroPython's json and UTF-8 are more lenient.

The host runs CPython, which refuses every one of these as the contract says. A pad runs
MicroPython, whose ``json.loads`` accepts some non-JSON (trailing commas, leading zeros,
missing commas, raw control characters, unknown escapes) and whose UTF-8 check lets
overlong and out-of-range sequences through. That is harmless on the pad: it only ever
parses what the host sent, which CPython's ``json`` wrote. Each case pins BOTH behaviours,
so the day MicroPython gets stricter (or the host lenient), this test says so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.protocol import golden, golden_runner

ENVELOPE = '"v":1,"dev":"qp-0107","seq":7,"boot":1,"up":1,"ts":null'
POWER_OFF = {"v": 1, "dev": "qp-0107", "seq": 7, "boot": 1, "up": 1, "ts": None, "type": "power_off"}


def _err(code: str, field: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "field": field}}


def _ok(value: Any) -> dict[str, Any]:
    return {"ok": value}


def _ev(rest: str, envelope: str = ENVELOPE) -> bytes:
    return ("{" + envelope + rest + "}").encode()


def _ev_raw(rest: bytes) -> bytes:
    return b"{" + ENVELOPE.encode() + rest + b"}"


FAULT_REPORT = {**POWER_OFF, "type": "fault_report"}

# name, kind, raw payload, CPython (the contract), MicroPython (known leniency)
DIVERGENT: list[tuple[str, str, bytes, dict[str, Any], dict[str, Any]]] = [
    ("trailing-comma-object", "event", _ev(',"type":"power_off",'), _err("not_json"), _ok(POWER_OFF)),
    ("trailing-comma-array", "ack", b'{"v":1,"ack":[[1,2],]}', _err("not_json"),
     _ok({"v": 1, "ack": [[1, 2]]})),
    ("leading-zero", "event", _ev(',"type":"power_off"', ENVELOPE.replace('"seq":7', '"seq":07')),
     _err("not_json"), _ok(POWER_OFF)),
    ("missing-comma", "event", _ev(' "type":"power_off"'), _err("not_json"), _ok(POWER_OFF)),
    # MicroPython even misreads what follows an empty value: "type" goes missing.
    ("empty-value", "event", _ev(',"x":,"type":"power_off"'), _err("not_json"),
     _err("missing_field", "type")),
    ("number-with-bare-dot", "event", _ev(',"x":1.,"type":"power_off"'), _err("not_json"), _ok(POWER_OFF)),
    ("raw-newline-in-string", "event", _ev(',"type":"fault_report","detail":"a\nb"'),
     _err("not_json"), _ok({**FAULT_REPORT, "detail": "a\nb"})),
    ("unknown-escape", "event", _ev(',"type":"fault_report","detail":"\\x"'),
     _err("not_json"), _ok({**FAULT_REPORT, "detail": "x"})),
    ("nul-after-object", "event", _ev(',"type":"power_off"') + b"\x00", _err("not_json"), _ok(POWER_OFF)),
    # A surrogate-pair escape is valid JSON for one character; MicroPython decodes it to
    # two lone surrogates, which the text check then refuses.
    ("surrogate-pair-escape", "event", _ev(',"type":"fault_report","detail":"\\ud83d\\ude00"'),
     _ok({**FAULT_REPORT, "detail": "\U0001F600"}), _err("bad_field", "detail")),
    ("overlong-utf8-nul", "event", _ev_raw(b',"x":"\xc0\x80","type":"power_off"'), _err("not_utf8"),
     _ok(POWER_OFF)),
    ("utf8-encoded-surrogate", "event", _ev_raw(b',"type":"fault_report","detail":"\xed\xa0\x80"'),
     _err("not_utf8"), _err("bad_field", "detail")),
    ("beyond-u10ffff", "event", _ev_raw(b',"x":"\xf4\x90\x80\x80","type":"power_off"'), _err("not_utf8"),
     _ok(POWER_OFF)),
]
IDS = [d[0] for d in DIVERGENT]


def _case(name: str, kind: str, raw: bytes, want: dict[str, Any]) -> dict[str, Any]:
    return {"id": name, "op": "parse", "args": [kind, {"$bytes": raw.hex()}, "qp-0107"], "kwargs": {},
            "expected": want}


@pytest.fixture(scope="module")
def mp_results(micropython: Any) -> dict[str, Any]:
    cases = [_case(n, k, raw, mp_want) for n, k, raw, _, mp_want in DIVERGENT]
    code = ("import json, golden_runner\n"
            "print(json.dumps(golden_runner.run_all(json.loads(open('/cases.json').read()))))\n")
    files = {"/lib/golden_runner.py": Path(golden_runner.__file__).read_text(),
             "/cases.json": json.dumps(cases)}
    out: dict[str, Any] = json.loads(micropython.run(code, files=files).strip().splitlines()[-1])
    return out


@pytest.mark.parametrize("name", IDS)
def test_cpython_follows_the_contract(name: str) -> None:
    _, kind, raw, want, _ = DIVERGENT[IDS.index(name)]
    case = _case(name, kind, raw, want)
    golden.check(case, json.loads(json.dumps(golden_runner.run_case(case))))


@pytest.mark.micropython
@pytest.mark.parametrize("name", IDS)
def test_micropython_leniency_is_as_documented(name: str, mp_results: dict[str, Any]) -> None:
    _, kind, raw, _, mp_want = DIVERGENT[IDS.index(name)]
    golden.check(_case(name, kind, raw, mp_want), mp_results[name])

"""Load the golden case files (tests/protocol/golden/*.json) into runnable cases.

The file format is described in golden/README.md. Expansion happens here, on the
CPython side, once: both interpreters then receive the very same bytes for every case
(``{"$bytes": hex}``), so a difference in results is a difference in ``protocol/``'s
behaviour, never in how the input was produced.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).with_name("golden")
FILL_FIELD = "zz_fill"          # an unknown field (receivers ignore it) used to reach an exact size
PAYLOAD_OPS = ("parse", "decode", "unwrap", "readable_seq")
BUILDER_OPS = ("event", "state", "will", "power_off", "ack", "command")
_CASE_KEYS = {"name", "op", "kind", "dev", "json", "text", "hex", "with", "without", "size", "as_text", "as",
              "args", "kwargs", "expect", "expect_with", "expect_without", "error", "raises", "why"}


class CaseFileError(ValueError):
    """A golden file is malformed: the message names the file and case."""


def wire_bytes(value: Any) -> bytes:
    """The compact UTF-8 JSON both interpreters' ``protocol.messages.encode`` produce."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _macros(value: Any) -> Any:
    """{"$str": s, "$times": n} -> s * n, anywhere."""
    if isinstance(value, dict):
        if set(value) == {"$str", "$times"}:
            return value["$str"] * value["$times"]
        return {k: _macros(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_macros(v) for v in value]
    return value


def _sized(obj: dict[str, Any], size: int, where: str) -> bytes:
    """``obj`` plus the filler field, serialised to exactly ``size`` bytes."""
    padded = dict(obj)
    padded[FILL_FIELD] = ""
    short = size - len(wire_bytes(padded))
    if short < 0:
        raise CaseFileError(f"{where}: the object is already longer than size={size}")
    padded[FILL_FIELD] = "x" * short
    data = wire_bytes(padded)
    assert len(data) == size, (where, len(data))
    return data


def _input(case: dict[str, Any], base: Any, where: str) -> tuple[Any, bytes | None]:
    """(the input object or None, its bytes or None)."""
    if "hex" in case:
        return None, bytes.fromhex(case["hex"])
    if "text" in case:
        text = case["text"]
        if isinstance(text, list):     # parts, so macros can build e.g. "[[[...]]]"
            text = "".join(text)
        return None, text.encode("utf-8")
    if "json" in case:
        obj = copy.deepcopy(case["json"])
    elif base is not None and ("with" in case or "without" in case or case.get("op") in PAYLOAD_OPS):
        obj = copy.deepcopy(base)
    else:
        return None, None
    obj = _apply(obj, case.get("with"), case.get("without"))
    data = _sized(obj, case["size"], where) if "size" in case else wire_bytes(obj)
    return obj, data


def _apply(obj: Any, with_: dict[str, Any] | None, without: list[str] | None) -> Any:
    if with_ or without:
        if not isinstance(obj, dict):
            raise CaseFileError("with/without need an object")
        obj = {**obj, **(with_ or {})}
        for key in without or ():
            obj.pop(key)
    return obj


def _expected(case: dict[str, Any], obj: Any, where: str) -> dict[str, Any]:
    if "error" in case:
        err = case["error"]
        if set(err) != {"code", "field"}:
            raise CaseFileError(f"{where}: error must give exactly code and field (field may be null)")
        return {"error": err}
    if "raises" in case:
        return {"raises": case["raises"]}
    if "expect" in case:
        want = obj if case["expect"] == "$input" else case["expect"]
        if case["expect"] == "$input" and obj is None:
            raise CaseFileError(f"{where}: expect $input needs a json/with input")
    elif "expect_with" in case or "expect_without" in case:
        if obj is None:
            raise CaseFileError(f"{where}: expect_with/expect_without need a json/with input")
        want = _apply(copy.deepcopy(obj), case.get("expect_with"), case.get("expect_without"))
    else:
        raise CaseFileError(f"{where}: no expectation (expect, expect_with, error or raises)")
    return {"ok": want}


def load_file(path: Path) -> list[dict[str, Any]]:
    doc = _macros(json.loads(path.read_text(encoding="utf-8")))
    defaults = doc.get("defaults", {})
    base = doc.get("base")
    cases = []
    for raw in doc["cases"]:
        case = {**defaults, **raw}
        where = f"{path.name}: {raw.get('name')!r}"
        unknown = set(case) - _CASE_KEYS
        if unknown:
            raise CaseFileError(f"{where}: unknown keys {sorted(unknown)}")
        op = case.get("op", "parse")
        case["op"] = op
        obj, data = _input(case, base, where)
        if op in PAYLOAD_OPS:
            if data is None:
                raise CaseFileError(f"{where}: a {op} case needs json, text, hex or with/without")
            payload: dict[str, Any] = {"$bytes": data.hex()}
            if case.get("as_text"):
                payload["as_text"] = True
            if "as" in case:            # "bytearray" or "memoryview" instead of bytes
                payload["as"] = case["as"]
            args: list[Any] = [case["kind"], payload, case.get("dev")] if op == "parse" else [payload]
            args.extend(case.get("args", []))       # e.g. readable_seq's limit
        else:
            args = list(case.get("args", []))
            if "size" in case:
                args[0] = json.loads(_sized(args[0], case["size"], where))
        cases.append({
            "id": f"{path.stem}/{case['name']}",
            "op": op,
            "args": args,
            "kwargs": case.get("kwargs", {}),
            "expected": _expected(case, obj, where),
            "input_bytes": None if data is None else len(data),
        })
    return cases


def load_all() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in sorted(GOLDEN.glob("*.json")):
        cases.extend(load_file(path))
    ids = [c["id"] for c in cases]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise CaseFileError(f"duplicate case names: {dupes}")
    return cases


def strict_equal(a: Any, b: Any) -> bool:
    """Equality that tells true from 1 and 1 from 1.0 (Python's == does not)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(strict_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(strict_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def check(case: dict[str, Any], result: dict[str, Any]) -> None:
    """Assert that ``result`` (from golden_runner.run_case, through JSON) is what the case expects."""
    want = case["expected"]
    if "error" in want:
        assert "error" in result, f"expected error {want['error']}, got {result}"
        got = result["error"]
        assert (got["code"], got["field"]) == (want["error"]["code"], want["error"]["field"]), (
            f"expected {want['error']}, got {got}")
        assert isinstance(got["message"], str) and len(got["message"]) > 10, got
        return
    if "raises" in want:
        assert result.get("raises") == want["raises"], f"expected {want['raises']}, got {result}"
        return
    assert "ok" in result, f"expected success, got {result}"
    got_ok = result["ok"]
    if case["op"] in BUILDER_OPS:
        assert strict_equal(got_ok["wire"], got_ok["msg"]), (
            f"built {got_ok['msg']} parses back as {got_ok['wire']}")
        got_ok = got_ok["msg"]
    assert strict_equal(got_ok, want["ok"]), f"expected {want['ok']!r}\n     got {got_ok!r}"

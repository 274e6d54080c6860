"""Bytes to JSON and back, and the check of one field's value by its kind (``spec``'s doc).

Shared by both sides: a host checks everything a pad sends with these, a pad what a host
sends (``to_pad``).  Each check raises ProtocolError with a stable code and a sentence that
says what was wrong.
"""

import json
import sys

from protocol.errors import (
    BAD_FIELD,
    BAD_VERSION,
    MISSING_FIELD,
    NOT_JSON,
    NOT_OBJECT,
    NOT_UTF8,
    TOO_LARGE,
    UNKNOWN_TYPE,
    ProtocolError,
)
from protocol.wire import CASE_MAX, IDENT_MAX, MAX_PAYLOAD, MAX_SETTING, MAX_STR, UINT_LIMIT, VERSION


def _no_constant(name: str) -> None:
    raise ValueError("JSON has no " + name)


_CPYTHON = sys.implementation.name != "micropython"
# CPython's json accepts NaN/Infinity; MicroPython's refuses them. Refuse on both.
_LOADS_KW: dict = {"parse_constant": _no_constant} if _CPYTHON else {}
# MicroPython writes non-ASCII text as raw UTF-8; make CPython do the same, so both give the
# same bytes and a parsed payload re-encodes within the size limit it arrived in.
_DUMPS_KW: dict = {"separators": (",", ":"), "ensure_ascii": False} if _CPYTHON else {
    "separators": (",", ":")}


def short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def decode(payload: object, limit: int = MAX_PAYLOAD) -> dict:
    """Raw payload -> JSON object, checking size, UTF-8, JSON and object-ness in that order."""
    if type(payload) is str:
        data = payload.encode()
    elif isinstance(payload, (bytes, bytearray, memoryview)):
        data = bytes(payload)
    else:
        raise ProtocolError(NOT_JSON, "payload must be bytes or str, not " + type(payload).__name__)
    if len(data) > limit:
        raise ProtocolError(TOO_LARGE, "payload is {} bytes; the contract allows at most {}".format(
            len(data), limit))
    try:
        text = data.decode("utf-8")
    except UnicodeError:
        raise ProtocolError(NOT_UTF8, "payload is not UTF-8 text")
    try:
        msg = json.loads(text, **_LOADS_KW)  # type: ignore[arg-type]
    except (ValueError, RuntimeError) as exc:
        # RuntimeError: CPython's RecursionError on deep nesting ("[[[[..." fits in 1024 bytes).
        raise ProtocolError(NOT_JSON, "payload is not JSON ({})".format(
            "nested too deeply" if isinstance(exc, RuntimeError) else exc))
    if type(msg) is not dict:
        raise ProtocolError(NOT_OBJECT, "payload must be one JSON object, got " + type(msg).__name__)
    return msg


def dumps(obj: object) -> bytes:
    """Compact UTF-8 JSON, the same bytes on MicroPython and CPython."""
    return json.dumps(obj, **_DUMPS_KW).encode()  # type: ignore[arg-type]


def encode(msg: dict) -> bytes:
    """Compact UTF-8 JSON for the wire; refuses (too_large) what exceeds the contract's limit."""
    data = dumps(msg)
    if len(data) > MAX_PAYLOAD:
        raise ProtocolError(TOO_LARGE, "message is {} bytes; the contract allows at most {}".format(
            len(data), MAX_PAYLOAD))
    return data


def check_version(msg: dict) -> None:
    v = msg.get("v")
    if type(v) is not int or v != VERSION:
        raise ProtocolError(BAD_VERSION, "this receiver speaks contract v{}; payload has v={}".format(
            VERSION, short(v) if "v" in msg else "(missing)"), "v")


def bad(name: str, want: str, value: object) -> ProtocolError:
    return ProtocolError(BAD_FIELD, "field {!r} must be {}, got {}".format(name, want, short(value)), name)


def is_text(x: str) -> bool:
    """No NUL (databases cannot store it) and no lone surrogate from a ``\\ud800`` escape:
    CPython cannot encode one; MicroPython keeps it as the bytes ED A0..BF, never valid UTF-8."""
    if "\x00" in x:
        return False
    try:
        data = x.encode()
    except UnicodeError:
        return False
    i = data.find(b"\xed")
    while i >= 0:
        if i + 1 < len(data) and data[i + 1] >= 0xA0:
            return False
        i = data.find(b"\xed", i + 1)
    return True


def is_uint(x: object) -> bool:
    return type(x) is int and 0 <= x < UINT_LIMIT  # type: ignore[operator]


def is_int(x: object) -> bool:
    return type(x) is int and -UINT_LIMIT < x < UINT_LIMIT  # type: ignore[operator]


_IDENT_FIRST = "abcdefghijklmnopqrstuvwxyz"
_IDENT_REST = _IDENT_FIRST + "0123456789_"


def is_ident(x: object) -> bool:
    """An event type name or rej code: 1-32 of a-z, 0-9 and '_', starting with a letter."""
    if type(x) is not str or not 0 < len(x) <= IDENT_MAX or x[0] not in _IDENT_FIRST:  # type: ignore[arg-type]
        return False
    for ch in x:  # type: ignore[attr-defined]
        if ch not in _IDENT_REST:
            return False
    return True


def check_value(name: str, kind: object, x: object) -> None:
    if type(kind) is tuple:
        if x not in kind:
            raise bad(name, "one of " + ", ".join(kind), x)
    elif kind == "uint":
        if not is_uint(x):
            raise bad(name, "an integer from 0 to 2^53-1", x)
    elif kind == "int":
        if not is_int(x):
            raise bad(name, "an integer from -(2^53-1) to 2^53-1", x)
    elif kind == "pos":
        if type(x) is not int or not 1 <= x <= MAX_SETTING:  # type: ignore[operator]
            raise bad(name, "whole seconds from 1 to {}".format(MAX_SETTING), x)
    elif kind == "ts":
        if x is not None and not is_uint(x):
            raise bad(name, "Unix time in milliseconds (an integer from 0 to 2^53-1) or null", x)
    elif kind == "bool":
        if type(x) is not bool:
            raise bad(name, "true or false", x)
    elif kind == "str" or kind == "str?" or kind == "str40":
        if x is None and kind == "str?":
            return
        n = CASE_MAX if kind == "str40" else MAX_STR
        if type(x) is not str or not 0 < len(x) <= n or not is_text(x):  # type: ignore[arg-type]
            raise bad(name, "a non-empty string of at most {} characters, without NUL or lone "
                      "surrogates".format(n), x)
    elif kind == "text":
        if type(x) is not str or len(x) > MAX_STR or not is_text(x):  # type: ignore[arg-type]
            raise bad(name, "a string of at most {} characters, without NUL or lone surrogates".format(
                MAX_STR), x)
    elif kind == "ident":
        if not is_ident(x):
            raise bad(name, "a name of 1-{} lowercase letters, digits and '_', starting with a "
                      "letter".format(IDENT_MAX), x)
    elif kind == "rej":
        if type(x) is not list:
            raise bad(name, "a list of [seq, code] pairs", x)
        for r in x:  # type: ignore[attr-defined]
            if type(r) is not list or len(r) != 2 or not is_uint(r[0]) or not is_ident(r[1]):
                raise bad(name, "a list of [seq, code] pairs (seq 0 to 2^53-1, code a name)", r)
    elif kind == "strs":
        if type(x) is not list:
            raise bad(name, "a list of strings", x)
        for item in x:  # type: ignore[attr-defined]
            check_value(name, "str", item)
    elif kind == "ranges":
        if type(x) is not list:
            raise bad(name, "a list of [from, to] pairs", x)
        for r in x:  # type: ignore[attr-defined]
            if (type(r) is not list or len(r) != 2 or not is_uint(r[0]) or not is_uint(r[1])
                    or r[0] > r[1]):
                raise bad(name, "a list of [from, to] pairs with 0 <= from <= to <= 2^53-1", r)
    elif kind == "sha256":
        if type(x) is not str or len(x) != 64 or x.strip("0123456789abcdef"):  # type: ignore[attr-defined,arg-type]
            raise bad(name, "a SHA-256 as 64 lower-case hex digits", x)
    else:  # pragma: no cover - a bug in spec.py, not in the payload
        raise ValueError("unknown field kind " + short(kind))


def take(msg: dict, fields: tuple, out: dict, check: object = check_value) -> dict:
    """Check ``fields`` ((name, kind, required), ...) of ``msg`` into ``out``; ``check`` is
    the host's (``messages``: also the kinds only events have) or, on a pad, ``check_value``."""
    for name, kind, required in fields:
        if name in msg:
            check(name, kind, msg[name])  # type: ignore[operator]
            out[name] = msg[name]
        elif required:
            raise ProtocolError(MISSING_FIELD, "required field {!r} is missing".format(name), name)
    return out


def typed(msg: dict, table: dict, what: str) -> tuple:
    """(type, its fields) of a message whose ``type`` names an entry of ``table``."""
    t = msg.get("type")
    if "type" not in msg:
        raise ProtocolError(MISSING_FIELD, "required field 'type' is missing", "type")
    if type(t) is not str or t not in table:
        raise ProtocolError(UNKNOWN_TYPE, "{} type {} is not in contract v1 (known: {})".format(
            what, short(t), ", ".join(sorted(table))), "type")
    return t, table[t]

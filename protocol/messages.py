"""Build and parse every message of contract v1: events, state (and will), acks, commands.

Parsers take the raw payload (bytes or str) and return a new dict holding only the
fields the contract knows (receivers ignore unknown fields), or raise ProtocolError
with a stable code.  Builders validate with the same rules, so a pad can never send
what a host would refuse.  ``encode`` gives the compact UTF-8 bytes for the wire.
"""

import json
import sys

from protocol import acks, spec
from protocol.errors import (
    BAD_DEVICE,
    BAD_FIELD,
    BAD_VERSION,
    DEVICE_MISMATCH,
    MISSING_FIELD,
    NOT_JSON,
    NOT_OBJECT,
    NOT_UTF8,
    TOO_LARGE,
    UNKNOWN_TYPE,
    ProtocolError,
)
from protocol.topics import is_device_id

_NULLABLE = ("ts", "str?")


def _no_constant(name: str) -> None:
    raise ValueError("JSON has no " + name)


_CPYTHON = sys.implementation.name != "micropython"
# CPython's json accepts NaN/Infinity; MicroPython's refuses them. Refuse on both.
_LOADS_KW: dict = {"parse_constant": _no_constant} if _CPYTHON else {}
# MicroPython writes non-ASCII text as raw UTF-8; make CPython do the same, so both give the
# same bytes and a parsed payload re-encodes within the size limit it arrived in.
_DUMPS_KW: dict = {"separators": (",", ":"), "ensure_ascii": False} if _CPYTHON else {
    "separators": (",", ":")}


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def decode(payload: object, limit: int = spec.MAX_PAYLOAD) -> dict:
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


def _check_version(msg: dict) -> None:
    v = msg.get("v")
    if type(v) is not int or v != spec.VERSION:
        raise ProtocolError(BAD_VERSION, "this receiver speaks contract v{}; payload has v={}".format(
            spec.VERSION, _short(v) if "v" in msg else "(missing)"), "v")


def _bad(name: str, want: str, value: object) -> ProtocolError:
    return ProtocolError(BAD_FIELD, "field {!r} must be {}, got {}".format(name, want, _short(value)), name)


def _is_text(x: str) -> bool:
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


def _is_uint(x: object) -> bool:
    return type(x) is int and 0 <= x < spec.UINT_LIMIT  # type: ignore[operator]


def _is_int(x: object) -> bool:
    return type(x) is int and -spec.UINT_LIMIT < x < spec.UINT_LIMIT  # type: ignore[operator]


_IDENT_FIRST = "abcdefghijklmnopqrstuvwxyz"
_IDENT_REST = _IDENT_FIRST + "0123456789_"


def is_ident(x: object) -> bool:
    """An event type name or rej code: 1-32 of a-z, 0-9 and '_', starting with a letter."""
    if type(x) is not str or not 0 < len(x) <= spec.IDENT_MAX or x[0] not in _IDENT_FIRST:  # type: ignore[arg-type]
        return False
    for ch in x:  # type: ignore[attr-defined]
        if ch not in _IDENT_REST:
            return False
    return True


def _plain_problem(x: object) -> object:
    """None if ``x`` is JSON any receiver can store and show: text without NUL or lone
    surrogates, integers as "int", finite numbers, at most MAX_DEPTH levels; else what is wrong.
    A walk with its own stack: MicroPython's C stack is small."""
    todo = [(x, 1)]
    while todo:
        v, depth = todo.pop()
        t = type(v)
        if v is None or t is bool:
            continue
        if t is int:
            if not _is_int(v):
                return "an integer beyond 2^53-1"
        elif t is float:
            if v - v != 0.0:  # type: ignore[operator]  # inf or nan (JSON 1e400 reads as inf)
                return "a number that is not finite"
        elif t is str:
            if not _is_text(v):  # type: ignore[arg-type]
                return "text with NUL or a lone surrogate"
        elif t is list or t is dict:
            if depth >= spec.MAX_DEPTH:
                return "nested deeper than {} levels".format(spec.MAX_DEPTH)
            if t is dict:
                for k in v:  # type: ignore[attr-defined]
                    if not _is_text(k):
                        return "a key with NUL or a lone surrogate"
                    todo.append((v[k], depth + 1))  # type: ignore[index]
            else:
                for item in v:  # type: ignore[attr-defined]
                    todo.append((item, depth + 1))
        else:  # pragma: no cover - json gives nothing else
            return "a " + t.__name__
    return None


def _check_value(name: str, kind: object, x: object) -> None:
    if type(kind) is tuple:
        if x not in kind:
            raise _bad(name, "one of " + ", ".join(kind), x)
    elif kind == "uint":
        if not _is_uint(x):
            raise _bad(name, "an integer from 0 to 2^53-1", x)
    elif kind == "int":
        if not _is_int(x):
            raise _bad(name, "an integer from -(2^53-1) to 2^53-1", x)
    elif kind == "pos":
        if type(x) is not int or not 1 <= x <= spec.MAX_SETTING:  # type: ignore[operator]
            raise _bad(name, "whole seconds from 1 to {}".format(spec.MAX_SETTING), x)
    elif kind == "ts":
        if x is not None and not _is_uint(x):
            raise _bad(name, "Unix time in milliseconds (an integer from 0 to 2^53-1) or null", x)
    elif kind == "bool":
        if type(x) is not bool:
            raise _bad(name, "true or false", x)
    elif kind == "str" or kind == "str?":
        if x is None and kind == "str?":
            return
        if type(x) is not str or not 0 < len(x) <= spec.MAX_STR or not _is_text(x):  # type: ignore[arg-type]
            raise _bad(name, "a non-empty string of at most {} characters, without NUL or lone "
                       "surrogates".format(spec.MAX_STR), x)
    elif kind == "text":
        if type(x) is not str or len(x) > spec.MAX_STR or not _is_text(x):  # type: ignore[arg-type]
            raise _bad(name, "a string of at most {} characters, without NUL or lone surrogates".format(
                spec.MAX_STR), x)
    elif kind == "ident":
        if not is_ident(x):
            raise _bad(name, "a name of 1-{} lowercase letters, digits and '_', starting with a "
                       "letter".format(spec.IDENT_MAX), x)
    elif kind == "rej":
        if type(x) is not list:
            raise _bad(name, "a list of [seq, code] pairs", x)
        for r in x:  # type: ignore[attr-defined]
            if type(r) is not list or len(r) != 2 or not _is_uint(r[0]) or not is_ident(r[1]):
                raise _bad(name, "a list of [seq, code] pairs (seq 0 to 2^53-1, code a name)", r)
    elif kind == "strs":
        if type(x) is not list:
            raise _bad(name, "a list of strings", x)
        for item in x:  # type: ignore[attr-defined]
            _check_value(name, "str", item)
    elif kind == "ranges":
        if type(x) is not list:
            raise _bad(name, "a list of [from, to] pairs", x)
        for r in x:  # type: ignore[attr-defined]
            if (type(r) is not list or len(r) != 2 or not _is_uint(r[0]) or not _is_uint(r[1])
                    or r[0] > r[1]):
                raise _bad(name, "a list of [from, to] pairs with 0 <= from <= to <= 2^53-1", r)
    elif kind == "sha256":
        if type(x) is not str or len(x) != 64 or x.strip("0123456789abcdef"):  # type: ignore[attr-defined,arg-type]
            raise _bad(name, "a SHA-256 as 64 lower-case hex digits", x)
    else:  # pragma: no cover - a bug in spec.py, not in the payload
        raise ValueError("unknown field kind " + _short(kind))


def _take(msg: dict, fields: tuple, out: dict) -> dict:
    for name, kind, required in fields:
        if name in msg:
            _check_value(name, kind, msg[name])
            out[name] = msg[name]
        elif required:
            raise ProtocolError(MISSING_FIELD, "required field {!r} is missing".format(name), name)
    return out


def _check_dev(msg: dict, topic_dev: object) -> None:
    dev = msg.get("dev")
    if not is_device_id(dev):
        if "dev" not in msg:
            raise ProtocolError(MISSING_FIELD, "required field 'dev' is missing", "dev")
        raise ProtocolError(BAD_DEVICE, "dev {} is not a valid device id".format(_short(dev)), "dev")
    if topic_dev is not None and dev != topic_dev:
        raise ProtocolError(DEVICE_MISMATCH, "dev {!r} differs from the topic's device {!r}".format(
            dev, topic_dev), "dev")


def _typed(msg: dict, table: dict, what: str) -> tuple:
    t = msg.get("type")
    if "type" not in msg:
        raise ProtocolError(MISSING_FIELD, "required field 'type' is missing", "type")
    if type(t) is not str or t not in table:
        raise ProtocolError(UNKNOWN_TYPE, "{} type {} is not in contract v1 (known: {})".format(
            what, _short(t), ", ".join(sorted(table))), "type")
    return t, table[t]


# -- events --------------------------------------------------------------------------

def check_event(msg: dict, dev: object = None) -> dict:
    """Validate a decoded event; ``dev`` is the topic's device. Returns the known fields.

    An event of a type this receiver does not know (a later contract version's) is accepted
    when its envelope is valid and its type is a name (``is_ident``): it is returned with
    every field as it came, provided each is plain JSON any receiver can store (Delivery 6).
    """
    _check_version(msg)
    _check_dev(msg, dev)
    t = msg.get("type")
    if "type" in msg and is_ident(t) and t not in spec.EVENT_TYPES:
        out = _take(msg, spec.ENVELOPE, {})
        for name in msg:
            if name not in out:
                problem = _plain_problem(msg[name])
                if problem is not None:
                    raise ProtocolError(BAD_FIELD, "field {!r} of event type {!r} holds {}".format(
                        name, t, problem), name)
                out[name] = msg[name]
        return out
    _, extra = _typed(msg, spec.EVENT_TYPES, "event")
    out = _take(msg, spec.ENVELOPE, {})
    return _take(msg, extra, out)


def parse_event(payload: object, dev: object = None) -> dict:
    return check_event(decode(payload), dev)


def _fill_nullable(fields: tuple, msg: dict) -> None:
    for name, kind, required in fields:
        if required and kind in _NULLABLE and name not in msg:
            msg[name] = None


def event(dev: str, seq: int, boot: int, up: int, ts: object, type: str, **fields: object) -> dict:
    """A validated event dict; nullable fields left out (``svc`` of an eval) become null."""
    msg = {"v": spec.VERSION, "dev": dev, "seq": seq, "boot": boot, "up": up, "ts": ts,
           "type": type}
    msg.update(fields)
    _fill_nullable(spec.EVENT_TYPES.get(type, ()), msg)
    return check_event(msg)


# -- state and will ------------------------------------------------------------------

def check_state(msg: dict, dev: object = None) -> dict:
    _check_version(msg)
    _check_dev(msg, dev)
    out = _take(msg, spec.STATE_FIELDS, {})
    if out["online"] and "mode" not in out:
        raise ProtocolError(MISSING_FIELD, "an online state must carry 'mode'", "mode")
    return out


def parse_state(payload: object, dev: object = None) -> dict:
    return check_state(decode(payload), dev)


def state(dev: str, mode: str, **fields: object) -> dict:
    """The retained state of a pad that is on (birth, mode change, heartbeat)."""
    msg = {"v": spec.VERSION, "dev": dev, "online": True, "mode": mode}
    msg.update(fields)
    return check_state(msg)


def will(dev: str) -> dict:
    """The will message the broker publishes when the pad's connection dies."""
    return check_state({"v": spec.VERSION, "dev": dev, "online": False})


def power_off(dev: str) -> dict:
    """What a pad publishes itself before a graceful switch-off."""
    return check_state({"v": spec.VERSION, "dev": dev, "online": False, "reason": "power_off"})


# -- acks ------------------------------------------------------------------------------

def check_ack(msg: dict) -> dict:
    _check_version(msg)
    out = _take(msg, spec.ACK_FIELDS, {})
    for r in out.get("rej", ()):
        # Each message stands alone (a host splits long acks): what it rejects, it acknowledges.
        if not acks.covers(out["ack"], r[0]):
            raise _bad("rej", "seqs inside the message's ack ranges", r)
    return out


def parse_ack(payload: object) -> dict:
    return check_ack(decode(payload))


def ack(ranges: list, rej: object = None) -> dict:
    """``rej``: [[seq, code], ...] of acked seqs the host rejected (left out when empty)."""
    msg = {"v": spec.VERSION, "ack": [list(r) for r in ranges]}
    if rej:
        msg["rej"] = [list(r) for r in rej]  # type: ignore[attr-defined]
    return check_ack(msg)


def readable_seq(payload: object, limit: int = 4 * spec.MAX_PAYLOAD) -> object:
    """The ``seq`` of an event payload a receiver refused, if it can still be read (a JSON
    object of ``v`` 1 with a valid ``seq``, up to ``limit`` bytes), else None. Delivery 5:
    a host acknowledges such a refused event (naming it in ``rej``), never an unreadable one."""
    try:
        msg = decode(payload, limit)
    except ProtocolError:
        return None
    v = msg.get("v")
    seq = msg.get("seq")
    if type(v) is int and v == spec.VERSION and _is_uint(seq):
        return seq
    return None


# -- commands --------------------------------------------------------------------------

def check_command(msg: dict) -> dict:
    _check_version(msg)
    t, extra = _typed(msg, spec.COMMAND_TYPES, "command")
    out = _take(msg, spec.COMMAND_ENVELOPE, {})
    _take(msg, extra, out)
    if t == "config" and not [k for k in spec.CONFIG_KEYS if k in out]:
        raise ProtocolError(MISSING_FIELD, "a config command needs at least one of " +
                            ", ".join(spec.CONFIG_KEYS), "config")
    return out


def parse_command(payload: object) -> dict:
    return check_command(decode(payload))


def command(id: str, type: str, expires: object = None, **fields: object) -> dict:
    msg = {"v": spec.VERSION, "id": id, "type": type}
    if expires is not None:
        msg["expires"] = expires
    msg.update(fields)
    return check_command(msg)


def is_expired(cmd: dict, now_ms: object) -> bool:
    """True if the command carries ``expires`` and the pad's clock (set) is past it."""
    exp = cmd.get("expires")
    return exp is not None and now_ms is not None and now_ms > exp  # type: ignore[operator]


# -- any message by topic kind --------------------------------------------------------

_CHECKERS = {spec.EVENT: check_event, spec.STATE: check_state}


def parse(kind: str, payload: object, dev: object = None) -> dict:
    """Parse a payload received on a topic of ``kind`` (event, state, ack, cmd)."""
    msg = decode(payload)
    if kind in _CHECKERS:
        return _CHECKERS[kind](msg, dev)
    if kind == spec.ACK:
        return check_ack(msg)
    if kind == spec.CMD:
        return check_command(msg)
    raise ValueError("unknown topic kind " + _short(kind))


def dumps(obj: object) -> bytes:
    """Compact UTF-8 JSON, the same bytes on MicroPython and CPython."""
    return json.dumps(obj, **_DUMPS_KW).encode()  # type: ignore[arg-type]


def encode(msg: dict) -> bytes:
    """Compact UTF-8 JSON for the wire; refuses (too_large) what exceeds the contract's limit."""
    data = dumps(msg)
    if len(data) > spec.MAX_PAYLOAD:
        raise ProtocolError(TOO_LARGE, "message is {} bytes; the contract allows at most {}".format(
            len(data), spec.MAX_PAYLOAD))
    return data

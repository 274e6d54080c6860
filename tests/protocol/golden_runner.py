"""Run golden cases against ``protocol/``: the same file runs under CPython and MicroPython.

Each case (already expanded by ``golden.py`` on the CPython side) is
``{"id", "op", "args": [...], "kwargs": {...}}``; an argument ``{"$bytes": "<hex>"}`` is
passed as bytes. ``run_case`` returns one of:
    {"ok": value}                                     the call returned
    {"error": {"code", "field", "message"}}           it raised ProtocolError
    {"raises": "<ExceptionType>", "message": str}     it raised anything else
Values go back as JSON, so bytes become {"$bytes": hex} and tuples become lists.
Keep it MicroPython-compatible: no f-strings with expressions, no typing, no dataclasses.
"""

import binascii
import json

from protocol import acks, messages, serialwire, topics
from protocol.errors import ProtocolError


def _arg(value):
    if type(value) is dict and "$bytes" in value:
        data = binascii.unhexlify(value["$bytes"])
        if value.get("as_text"):
            return data.decode()
        if value.get("as") == "bytearray":
            return bytearray(data)
        if value.get("as") == "memoryview":
            return memoryview(data)
        return data
    return value


def _out(value):
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": binascii.hexlify(value).decode()}
    if type(value) is tuple or type(value) is list:
        return [_out(v) for v in value]
    if type(value) is dict:
        return {k: _out(v) for k, v in value.items()}
    return value


def _wire(kind, msg):
    """A built message on the wire and back: the builder's output must parse to itself."""
    return messages.parse(kind, messages.encode(msg))


def _built(kind, msg):
    return {"msg": msg, "wire": _wire(kind, msg)}


def _encode(msg):
    data = messages.encode(msg)
    return {"bytes": len(data), "back": json.loads(data)}


def _wrap(kind, msg):
    line = serialwire.wrap(kind, msg)
    return {"newline": line.endswith(b"\n"), "newlines": line.count(b"\n"), "line": json.loads(line)}


def _unwrap(line):
    kind, payload = serialwire.unwrap(line)
    return {"kind": kind, "msg": json.loads(payload), "bytes": len(payload)}


OPS = {  # type: dict
    "parse": messages.parse,
    "decode": messages.decode,
    "decode_value": messages.decode,      # args as given: what if a caller passes no bytes at all
    "event": lambda *a, **k: _built("event", messages.event(*a, **k)),
    "state": lambda *a, **k: _built("state", messages.state(*a, **k)),
    "will": lambda *a: _built("state", messages.will(*a)),
    "power_off": lambda *a: _built("state", messages.power_off(*a)),
    "ack": lambda *a: _built("ack", messages.ack(*a)),
    "command": lambda *a, **k: _built("cmd", messages.command(*a, **k)),
    "encode": _encode,
    "is_expired": messages.is_expired,
    "readable_seq": messages.readable_seq,
    "to_ranges": acks.to_ranges,
    "merge": acks.merge,
    "unacked": acks.unacked,
    "count": acks.count,
    "covers": acks.covers,
    "topic": topics.topic,
    "subscription": topics.subscription,
    "parse_topic": topics.parse_topic,
    "is_device_id": topics.is_device_id,
    "check_device_id": topics.check_device_id,
    "wrap": _wrap,
    "unwrap": _unwrap,
}


def run_case(case):
    fn = OPS[case["op"]]
    args = [_arg(a) for a in case.get("args", [])]
    kwargs = {}
    for k, v in case.get("kwargs", {}).items():
        kwargs[k] = _arg(v)
    try:
        return {"ok": _out(fn(*args, **kwargs))}
    except ProtocolError as exc:
        return {"error": {"code": exc.code, "field": exc.field, "message": exc.message}}
    except Exception as exc:  # reported, and the test fails on it
        return {"raises": type(exc).__name__, "message": str(exc)}


def run_all(cases):
    """{id: result} for every case, in one interpreter run."""
    out = {}
    for case in cases:
        out[case["id"]] = run_case(case)
    return out

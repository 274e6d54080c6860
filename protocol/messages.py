"""Build and parse every message of contract v1: events, state (and will), acks, commands.

Parsers take the raw payload (bytes or str) and return a new dict holding only the
fields the contract knows (receivers ignore unknown fields), or raise ProtocolError
with a stable code.  Builders validate with the same rules.  ``encode`` gives the compact
UTF-8 bytes for the wire.

This is the host's module (and the golden cases', on both interpreters).  A pad loads only
its part of the contract: ``fields`` (bytes and values), ``to_pad`` (acks and commands,
checked in full: they come from outside) and ``pad`` (its own messages, built).
"""

from protocol import spec
from protocol.errors import (
    BAD_DEVICE,
    BAD_FIELD,
    DEVICE_MISMATCH,
    MISSING_FIELD,
    ProtocolError,
)
from protocol.fields import (
    bad,
    check_value,
    check_version,
    decode,
    dumps,
    encode,
    is_ident,
    is_int,
    is_text,
    is_uint,
    short,
    take,
    typed,
)
from protocol.to_pad import (
    ack,
    check_ack,
    check_command,
    command,
    is_expired,
    parse_ack,
    parse_command,
)
from protocol.topics import is_device_id

# The host's one import for every message: these live where a pad loads them (fields: bytes
# and values; to_pad: acks and commands) and are re-exported here.
__all__ = ("ack", "check_ack", "check_command", "check_event", "check_state", "command", "decode",
           "dumps", "encode", "event", "is_expired", "is_ident", "parse", "parse_ack",
           "parse_command", "parse_event", "parse_state", "power_off", "readable_seq", "state",
           "will")

_NULLABLE = ("ts", "str?")


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
            if not is_int(v):
                return "an integer beyond 2^53-1"
        elif t is float:
            if v - v != 0.0:  # type: ignore[operator]  # inf or nan (JSON 1e400 reads as inf)
                return "a number that is not finite"
        elif t is str:
            if not is_text(v):  # type: ignore[arg-type]
                return "text with NUL or a lone surrogate"
        elif t is list or t is dict:
            if depth >= spec.MAX_DEPTH:
                return "nested deeper than {} levels".format(spec.MAX_DEPTH)
            if t is dict:
                for k in v:  # type: ignore[attr-defined]
                    if not is_text(k):
                        return "a key with NUL or a lone surrogate"
                    todo.append((v[k], depth + 1))  # type: ignore[index]
            else:
                for item in v:  # type: ignore[attr-defined]
                    todo.append((item, depth + 1))
        else:  # pragma: no cover - json gives nothing else
            return "a " + t.__name__
    return None


def _check_dev(msg: dict, topic_dev: object) -> None:
    dev = msg.get("dev")
    if not is_device_id(dev):
        if "dev" not in msg:
            raise ProtocolError(MISSING_FIELD, "required field 'dev' is missing", "dev")
        raise ProtocolError(BAD_DEVICE, "dev {} is not a valid device id".format(short(dev)), "dev")
    if topic_dev is not None and dev != topic_dev:
        raise ProtocolError(DEVICE_MISMATCH, "dev {!r} differs from the topic's device {!r}".format(
            dev, topic_dev), "dev")


# -- events --------------------------------------------------------------------------

def _check_event_value(name: str, kind: object, x: object) -> None:
    """``fields.check_value`` plus the kinds only events have (a pad never parses events)."""
    if kind == "level":
        if type(x) is not int or not spec.LEVEL_MIN <= x <= spec.LEVEL_MAX:  # type: ignore[operator]
            raise bad(name, "a level from {} to {} (1 非常不满意 ... 5 非常满意)".format(
                spec.LEVEL_MIN, spec.LEVEL_MAX), x)
    elif kind == "reasons":
        if type(x) is not list or not x:
            raise bad(name, "a non-empty list of " + ", ".join(spec.REASONS), x)
        seen = []
        for r in x:  # type: ignore[attr-defined]
            if r not in spec.REASONS or type(r) is not str or r in seen:
                raise bad(name, "a list of " + ", ".join(spec.REASONS) + ", each at most once", x)
            seen.append(r)
    else:
        check_value(name, kind, x)


def _check_level(out: dict) -> None:
    """An eval's level agrees with its rating: 1-2 unsatisfied, 3-5 satisfied (issue 16)."""
    level = out.get("level")
    if level is not None and (level >= spec.SATISFIED_FROM) != (out["rating"] == "satisfied"):
        raise bad("level", "a level that agrees with rating {!r} ({})".format(
            out["rating"], "3-5" if out["rating"] == "satisfied" else "1-2"), level)


def check_event(msg: dict, dev: object = None) -> dict:
    """Validate a decoded event; ``dev`` is the topic's device. Returns the known fields.

    An event of a type this receiver does not know (a later contract version's) is accepted
    when its envelope is valid and its type is a name (``is_ident``): it is returned with
    every field as it came, provided each is plain JSON any receiver can store (Delivery 6).
    """
    check_version(msg)
    _check_dev(msg, dev)
    t = msg.get("type")
    if "type" in msg and is_ident(t) and t not in spec.EVENT_TYPES:
        out = take(msg, spec.ENVELOPE, {})
        for name in msg:
            if name not in out:
                problem = _plain_problem(msg[name])
                if problem is not None:
                    raise ProtocolError(BAD_FIELD, "field {!r} of event type {!r} holds {}".format(
                        name, t, problem), name)
                out[name] = msg[name]
        return out
    t, extra = typed(msg, spec.EVENT_TYPES, "event")
    out = take(msg, spec.ENVELOPE, {})
    take(msg, extra, out, _check_event_value)
    if t == "eval":
        _check_level(out)
    return out


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
    check_version(msg)
    _check_dev(msg, dev)
    out = take(msg, spec.STATE_FIELDS, {})
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


# -- acks (the rest: protocol/to_pad.py) -----------------------------------------------

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
    if type(v) is int and v == spec.VERSION and is_uint(seq):
        return seq
    return None


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
    raise ValueError("unknown topic kind " + short(kind))

"""The serial variant: one ``{"topic": "event|state|ack|cmd", "msg": {...}}`` per line.

A pad wired over USB speaks this; the bridge on the window PC relays ``msg`` to MQTT
unchanged, so the host cannot tell a wired pad from a wireless one.
"""

from protocol import spec
from protocol.errors import BAD_TOPIC, NOT_OBJECT, ProtocolError
from protocol.messages import decode, dumps, encode

MAX_LINE = spec.MAX_PAYLOAD + 64   # the wrapper adds a few bytes around the message


def wrap(kind: str, msg: dict) -> bytes:
    """One line (with its newline) carrying ``msg`` for a topic of ``kind``."""
    if kind not in spec.TOPIC_KINDS:
        raise ProtocolError(BAD_TOPIC, "unknown topic kind {!r}".format(kind))
    return dumps({"topic": kind, "msg": msg}) + b"\n"


def unwrap(line: object) -> tuple:
    """``(kind, payload)``: the message as it goes on MQTT; parse it with ``messages``."""
    if isinstance(line, (bytes, bytearray)):
        line = bytes(line).strip()
    elif type(line) is str:
        line = line.strip()
    outer = decode(line, MAX_LINE)
    kind = outer.get("topic")
    if kind not in spec.TOPIC_KINDS:
        raise ProtocolError(BAD_TOPIC, "serial line topic {!r} is not one of {}".format(
            kind, ", ".join(spec.TOPIC_KINDS)), "topic")
    msg = outer.get("msg")
    if type(msg) is not dict:
        raise ProtocolError(NOT_OBJECT, "serial line needs 'msg' to be a JSON object", "msg")
    return kind, encode(msg)

"""Topic names: ``<prefix>/<device>/<kind>``; prefix ``evalpad/v1`` unless configured."""

from protocol import wire
from protocol.errors import BAD_DEVICE, BAD_TOPIC, ProtocolError

_ID_FIRST = "abcdefghijklmnopqrstuvwxyz0123456789"
_ID_REST = _ID_FIRST + "-"


def is_device_id(dev: object) -> bool:
    """True if ``dev`` matches ^[a-z0-9][a-z0-9-]{2,31}$ (no ``re``: MicroPython's lacks {m,n})."""
    if type(dev) is not str or not 3 <= len(dev) <= 32 or dev[0] not in _ID_FIRST:
        return False
    for ch in dev:
        if ch not in _ID_REST:
            return False
    return True


def check_device_id(dev: object) -> str:
    if not is_device_id(dev):
        raise ProtocolError(BAD_DEVICE, "device id {!r} must be 3-32 characters of a-z, 0-9 "
                            "and '-', starting with a letter or digit".format(dev), "dev")
    return dev  # type: ignore[return-value]


def topic(dev: str, kind: str, prefix: str = wire.PREFIX) -> str:
    """The topic of one message kind (event, state, ack, cmd) for a device."""
    if kind not in wire.TOPIC_KINDS:
        raise ProtocolError(BAD_TOPIC, "unknown topic kind {!r}".format(kind))
    return prefix + "/" + check_device_id(dev) + "/" + kind


def subscription(kind: str, prefix: str = wire.PREFIX, group: str = "") -> str:
    """Filter for one kind from every device; ``group`` makes it an MQTT shared subscription."""
    if kind not in wire.TOPIC_KINDS:
        raise ProtocolError(BAD_TOPIC, "unknown topic kind {!r}".format(kind))
    if "/" in group or "+" in group or "#" in group:
        raise ProtocolError(BAD_TOPIC, "shared-subscription group {!r} must not hold '/', '+' or '#'".format(
            group))
    flt = prefix + "/+/" + kind
    return "$share/" + group + "/" + flt if group else flt


def parse_topic(name: str, prefix: str = wire.PREFIX) -> tuple:
    """``(device, kind)`` of a contract topic, or ProtocolError(bad_topic / bad_device)."""
    head = prefix + "/"
    if type(name) is not str or not name.startswith(head):
        raise ProtocolError(BAD_TOPIC, "topic {!r} is not under {!r}".format(name, head))
    parts = name[len(head):].split("/")
    if len(parts) != 2 or parts[1] not in wire.TOPIC_KINDS:
        raise ProtocolError(BAD_TOPIC, "topic {!r} is not {}<device>/<{}>".format(
            name, head, "|".join(wire.TOPIC_KINDS)))
    return check_device_id(parts[0]), parts[1]

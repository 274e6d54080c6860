"""What a host sends a pad: acks and commands -- their fields, parsing (the pad) and building
(the host, which validates with the same rules), and the settings a ``config`` command sets.

``spec`` re-exports the data and ``messages`` the functions: a host reads them there.
"""

from protocol import acks
from protocol.errors import MISSING_FIELD, ProtocolError
from protocol.fields import bad, check_version, decode, take, typed
from protocol.wire import VERSION

# ``rej`` names the acked seqs the host rejected (Delivery 5): kept there with the reason,
# replayable once the cause is fixed; the pad drops them like any acked seq and counts them.
ACK_FIELDS = (("v", "uint", True), ("ack", "ranges", True), ("rej", "rej", False))

COMMAND_ENVELOPE = (
    ("v", "uint", True),
    ("id", "str", True),
    ("type", "str", True),
    ("expires", "ts", False),
)

CONFIG_KEYS = ("heartbeat_s", "prompt_timeout_s", "thanks_s", "min_interval_s")

COMMAND_TYPES = {
    # case (办件编号) and item (事项), v1 extension (issue 16), optional: from the queue
    # system; the pad copies them into its prompt and eval events.
    "prompt": (("svc", "str", True), ("case", "str40", False), ("item", "str40", False)),
    "pause": (("reason", "text", False),),
    "resume": (("reason", "text", False),),
    # window_bmp / staff_bmp (v1 extension, optional): the name pre-rendered by the host,
    # since a pad has glyphs for its fixed phrases only.  "WxH:base64": H rows top to bottom
    # of ceil(W/8) bytes, most significant bit = leftmost pixel, 1 = lit; W <= 128, H <= 16
    # (host/display/render.py makes them, firmware/pad/screen.py decodes them).
    "display": (("window", "text", False), ("staff", "text", False),
                ("staff_id", "text", False), ("window_bmp", "text", False),
                ("staff_bmp", "text", False)),
    "config": tuple((k, "pos", False) for k in CONFIG_KEYS),   # at least one given
    "time": (("ts", "uint", True),),
    "selftest": (),
    "reboot": (),
    # update (v1 extension): install a release the host keeps (firmware/ota, host/releases).
    # The pad fetches the manifest at ``url`` over HTTP and installs only if the manifest's
    # SHA-256 is ``sha256`` (this command is the authenticated part: it came over the pad's
    # own MQTT account); the new program confirms itself after ``trial_s`` seconds connected
    # and healthy, else the pad returns to the program it ran before.
    "update": (("release", "str", True), ("url", "str", True), ("sha256", "sha256", True),
               ("trial_s", "pos", False)),
}

# Device settings a pad starts with (the `config` command changes them).
DEFAULT_CONFIG = {"heartbeat_s": 30, "prompt_timeout_s": 60, "thanks_s": 3,
                  "min_interval_s": 20}


# -- acks ------------------------------------------------------------------------------

def check_ack(msg: dict) -> dict:
    check_version(msg)
    out = take(msg, ACK_FIELDS, {})
    for r in out.get("rej", ()):
        # Each message stands alone (a host splits long acks): what it rejects, it acknowledges.
        if not acks.covers(out["ack"], r[0]):
            raise bad("rej", "seqs inside the message's ack ranges", r)
    return out


def parse_ack(payload: object) -> dict:
    return check_ack(decode(payload))


def ack(ranges: list, rej: object = None) -> dict:
    """``rej``: [[seq, code], ...] of acked seqs the host rejected (left out when empty)."""
    msg = {"v": VERSION, "ack": [list(r) for r in ranges]}
    if rej:
        msg["rej"] = [list(r) for r in rej]  # type: ignore[attr-defined]
    return check_ack(msg)


# -- commands --------------------------------------------------------------------------

def check_command(msg: dict) -> dict:
    check_version(msg)
    t, extra = typed(msg, COMMAND_TYPES, "command")
    out = take(msg, COMMAND_ENVELOPE, {})
    take(msg, extra, out)
    if t == "config" and not [k for k in CONFIG_KEYS if k in out]:
        raise ProtocolError(MISSING_FIELD, "a config command needs at least one of " +
                            ", ".join(CONFIG_KEYS), "config")
    return out


def parse_command(payload: object) -> dict:
    return check_command(decode(payload))


def command(id: str, type: str, expires: object = None, **fields: object) -> dict:
    msg = {"v": VERSION, "id": id, "type": type}
    if expires is not None:
        msg["expires"] = expires
    msg.update(fields)
    return check_command(msg)


def is_expired(cmd: dict, now_ms: object) -> bool:
    """True if the command carries ``expires`` and the pad's clock (set) is past it."""
    exp = cmd.get("expires")
    return exp is not None and now_ms is not None and now_ms > exp  # type: ignore[operator]

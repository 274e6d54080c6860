"""Contract version 1 as data: limits, topic kinds, and the fields of every message.

Each field is ``(name, kind, required)``.  Kinds (checked in ``messages``):
    "uint"    int, 0 <= x < 2**53 (JSON-safe: see UINT_LIMIT)
    "int"     int, -2**53 < x < 2**53 (rssi is negative)
    "pos"     int, 1 <= x <= MAX_SETTING (settings in seconds)
    "ts"      "uint" or null: Unix milliseconds UTC, null if the clock was never set
    "bool"    true or false
    "str"     non-empty string of at most MAX_STR characters
    "text"    string (may be empty) of at most MAX_STR characters
    "str?"    "str" or null
    "strs"    list of "str"
    "ranges"  list of [from, to] inclusive, 0 <= from <= to
    "sha256"  64 lower-case hex digits (a SHA-256)
    "ident"   a name: 1-32 of a-z, 0-9, '_', starting with a letter (event types, rej codes)
    "rej"     list of [seq, code]: "uint" and "ident", each seq inside the message's ack ranges
    tuple     one of these strings (an enum)
"""

VERSION = 1
PREFIX = "evalpad/v1"
MAX_PAYLOAD = 1024          # bytes of UTF-8 JSON, per the contract
MAX_STR = 256               # longest string field; the payload limit bounds the rest
MAX_SETTING = 86400         # a day: no pad setting in seconds is longer
# Every integer on the wire lies strictly between -2**53 and 2**53: JSON-safe (JavaScript
# and every JSON library read it exactly), and the sum or difference of any two fits a
# signed 64-bit column, which is what a host's time arithmetic needs (ts - up, anchor + up).
UINT_LIMIT = 1 << 53
IDENT_MAX = 32              # longest event type name or rej code
MAX_DEPTH = 8               # JSON levels of an event of a type this receiver does not know (the
                            # message itself is level 1)

# Topic kinds: direction, QoS and retain per the contract's table.
EVENT = "event"
STATE = "state"
ACK = "ack"
CMD = "cmd"
TOPIC_KINDS = (EVENT, STATE, ACK, CMD)
FROM_PAD = (EVENT, STATE)
TO_PAD = (ACK, CMD)
QOS = 1
RETAINED = (STATE,)

RATINGS = ("satisfied", "unsatisfied")
RATING_POINTS = {"satisfied": 5, "unsatisfied": 0}   # R1
RESET_CAUSES = ("power_on", "watchdog", "soft", "brownout", "deepsleep", "hard", "unknown")
IGNORE_REASONS = ("paused", "repeat")
PROMPT_SOURCES = ("key", "host")
PROMPT_END_REASONS = ("rated", "timeout", "cancelled")
FAULT_CODES = ("button_stuck", "display", "storage", "clock", "memory", "network",
               "watchdog", "other")
MODES = ("serving", "prompt", "paused", "fault")

ENVELOPE = (
    ("v", "uint", True),
    ("dev", "str", True),
    ("seq", "uint", True),
    ("boot", "uint", True),
    ("up", "uint", True),
    ("ts", "ts", True),
    ("type", "ident", True),
)

# Extra fields of each event type.
EVENT_TYPES = {
    "boot": (("fw", "str", True), ("reset_cause", RESET_CAUSES, True)),
    "eval": (("rating", RATINGS, True), ("svc", "str?", True), ("prompted", "bool", True)),
    "press_ignored": (("rating", RATINGS, True), ("reason", IGNORE_REASONS, True)),
    "prompt": (("svc", "str", True), ("source", PROMPT_SOURCES, True)),
    "prompt_end": (("svc", "str", True), ("reason", PROMPT_END_REASONS, True)),
    "pause": (("reason", "text", False),),
    "resume": (("reason", "text", False),),
    "power_off": (),
    "fault": (("code", FAULT_CODES, True), ("detail", "text", False)),
    "fault_clear": (("code", FAULT_CODES, True), ("detail", "text", False)),
    "fault_report": (("detail", "text", False),),
    "cmd_result": (("id", "str", True), ("ok", "bool", True), ("detail", "text", False)),
}

STATE_FIELDS = (
    ("v", "uint", True),
    ("dev", "str", True),
    ("online", "bool", True),
    ("mode", MODES, False),        # required when online (checked in messages)
    ("fw", "str", False),
    ("boot", "uint", False),
    ("up", "uint", False),
    ("ts", "ts", False),
    ("buffered", "uint", False),
    ("rejected", "uint", False),   # events the host acked as rejected (rej), ever: persisted
    ("mem_free", "uint", False),
    ("rssi", "int", False),
    ("faults", "strs", False),
    ("reason", "str", False),      # e.g. "power_off" on a graceful switch-off
)

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
    "prompt": (("svc", "str", True),),
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

"""Contract version 1 as data: limits, topic kinds, and the fields of every message.

Each field is ``(name, kind, required)``.  Kinds (checked in ``fields``):
    "uint"    int, 0 <= x < 2**53 (JSON-safe: see UINT_LIMIT)
    "int"     int, -2**53 < x < 2**53 (rssi is negative)
    "pos"     int, 1 <= x <= MAX_SETTING (settings in seconds)
    "ts"      "uint" or null: Unix milliseconds UTC, null if the clock was never set
    "bool"    true or false
    "str"     non-empty string of at most MAX_STR characters
    "text"    string (may be empty) of at most MAX_STR characters
    "str?"    "str" or null
    "str40"   "str" of at most CASE_MAX (40) characters: a case number or service item
    "level"   int 1..5, a five-level rating (checked by ``messages``: events only)
    "reasons" non-empty list of REASONS without duplicates (``messages``: events only)
    "strs"    list of "str"
    "ranges"  list of [from, to] inclusive, 0 <= from <= to
    "sha256"  64 lower-case hex digits (a SHA-256)
    "ident"   a name: 1-32 of a-z, 0-9, '_', starting with a letter (event types, rej codes)
    "rej"     list of [seq, code]: "uint" and "ident", each seq inside the message's ack ranges
    tuple     one of these strings (an enum)
"""

# Shared by pad and host, each in the module a pad loads (``wire``: version, prefix, limits,
# topic kinds; ``to_pad``: what a host sends a pad); re-exported here as the one table.
from protocol.to_pad import ACK_FIELDS, COMMAND_ENVELOPE, COMMAND_TYPES, CONFIG_KEYS, DEFAULT_CONFIG
from protocol.wire import (
    ACK,
    CASE_MAX,
    CMD,
    EVENT,
    IDENT_MAX,
    MAX_PAYLOAD,
    MAX_SETTING,
    MAX_STR,
    PREFIX,
    STATE,
    TOPIC_KINDS,
    UINT_LIMIT,
    VERSION,
)

MAX_DEPTH = 8               # JSON levels of an event of a type this receiver does not know (the
                            # message itself is level 1)

# Topic kinds (wire.EVENT and co.): direction, QoS and retain per the contract's table.
FROM_PAD = (EVENT, STATE)
TO_PAD = (ACK, CMD)
QOS = 1
RETAINED = (STATE,)

RATINGS = ("satisfied", "unsatisfied")
RATING_POINTS = {"satisfied": 5, "unsatisfied": 0}   # R1
# Five levels (好差评, issue 16; v1 extension): 1 非常不满意, 2 不满意, 3 基本满意, 4 满意,
# 5 非常满意. An eval's optional ``level`` must agree with its ``rating``: LEVEL_MIN..
# SATISFIED_FROM-1 are "unsatisfied" (a bad review, 差评), SATISFIED_FROM..LEVEL_MAX "satisfied".
LEVEL_MIN = 1
LEVEL_MAX = 5
SATISFIED_FROM = 3
# The national offline reasons a citizen picks after a bad review: 服务效率, 服务水平,
# 服务态度, 其他 (a ``reason`` event's ``reasons``).
REASONS = ("efficiency", "skill", "attitude", "other")
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
    # level, case, item: v1 extension (issue 16), optional; a two-level pad leaves them out.
    "eval": (("rating", RATINGS, True), ("svc", "str?", True), ("prompted", "bool", True),
             ("level", "level", False), ("case", "str40", False), ("item", "str40", False)),
    "press_ignored": (("rating", RATINGS, True), ("reason", IGNORE_REASONS, True)),
    "prompt": (("svc", "str", True), ("source", PROMPT_SOURCES, True),
               ("case", "str40", False), ("item", "str40", False)),
    "prompt_end": (("svc", "str", True), ("reason", PROMPT_END_REASONS, True)),
    "pause": (("reason", "text", False),),
    "resume": (("reason", "text", False),),
    "power_off": (),
    "fault": (("code", FAULT_CODES, True), ("detail", "text", False)),
    "fault_clear": (("code", FAULT_CODES, True), ("detail", "text", False)),
    "fault_report": (("detail", "text", False),),
    "cmd_result": (("id", "str", True), ("ok", "bool", True), ("detail", "text", False)),
    # v1 extension (issue 16): the reasons a citizen picked for the eval of seq ``of``.
    "reason": (("of", "uint", True), ("reasons", "reasons", True)),
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

__all__ = (
    "ACK",
    "ACK_FIELDS",
    "CASE_MAX",
    "CMD",
    "COMMAND_ENVELOPE",
    "COMMAND_TYPES",
    "CONFIG_KEYS",
    "DEFAULT_CONFIG",
    "ENVELOPE",
    "EVENT",
    "EVENT_TYPES",
    "FAULT_CODES",
    "FROM_PAD",
    "IDENT_MAX",
    "IGNORE_REASONS",
    "LEVEL_MAX",
    "LEVEL_MIN",
    "MAX_DEPTH",
    "MAX_PAYLOAD",
    "MAX_SETTING",
    "MAX_STR",
    "MODES",
    "PREFIX",
    "PROMPT_END_REASONS",
    "PROMPT_SOURCES",
    "QOS",
    "RATINGS",
    "RATING_POINTS",
    "REASONS",
    "RESET_CAUSES",
    "RETAINED",
    "SATISFIED_FROM",
    "STATE",
    "STATE_FIELDS",
    "TOPIC_KINDS",
    "TO_PAD",
    "UINT_LIMIT",
    "VERSION",
)

"""What every message of contract v1 shares: version, topic prefix and kinds, size limits.

The one part of ``spec`` both a pad and a host need before anything else; ``spec`` re-exports
it, so ``spec.MAX_PAYLOAD`` and ``wire.MAX_PAYLOAD`` are the same value.
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
CASE_MAX = 40               # longest case number (办件编号) or service item (事项), kind "str40"

# Topic kinds: direction, QoS and retain per the contract's table (spec.FROM_PAD and co.).
EVENT = "event"
STATE = "state"
ACK = "ack"
CMD = "cmd"
TOPIC_KINDS = (EVENT, STATE, ACK, CMD)

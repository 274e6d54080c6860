"""The event log's record format on flash (firmware/pad/eventlog.py), shared with its recovery.

A record is ``E7 | len u16 | body | crc32 u32`` (little-endian; the CRC covers the magic, the
length and the body); ``body`` is ``HEAD`` (seq, boot, up, ts (-1 = null), type index into
``TYPES``) followed by the event's own fields as JSON.  Segments are files ``log/s<first seq>``.
"""

import json
import struct

try:
    from binascii import crc32
except ImportError:  # pragma: no cover - every MicroPython port we target has it
    from ubinascii import crc32  # type: ignore[no-redef]

from protocol.pad import event
from protocol.wire import MAX_PAYLOAD

MAGIC = 0xE7
HEAD = "<IIQqB"                 # seq, boot, up, ts (-1 = null), type index
HEAD_SIZE = struct.calcsize(HEAD)
FRAME = 3                       # magic + u16 length before the body
TRAILER = 4                     # crc32 after it
MAX_BODY = MAX_PAYLOAD          # an event never exceeds the wire's limit
# Index on flash of each event type: append only (an old index must keep its meaning).
TYPES = ("boot", "eval", "press_ignored", "prompt", "prompt_end", "pause", "resume",
         "power_off", "fault", "fault_clear", "fault_report", "cmd_result", "reason")
DIR = "log"
SEG_PREFIX = "s"


def frame(body: bytes) -> bytes:
    head = bytes((MAGIC, len(body) & 0xFF, len(body) >> 8))
    crc = crc32(body, crc32(head)) & 0xFFFFFFFF
    return head + body + struct.pack("<I", crc)


def seg_name(first: int) -> str:
    return "{}/{}{:010d}".format(DIR, SEG_PREFIX, first)


def decode_body(dev: str, body: bytes) -> dict:
    seq, boot, up, ts, t = struct.unpack_from(HEAD, body, 0)
    extra = body[HEAD_SIZE:]
    fields = json.loads(extra) if extra else {}
    return event(dev, seq, boot, up, None if ts < 0 else ts, TYPES[t], fields)

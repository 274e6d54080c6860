"""The pad's durable event log on flash (事件日志): append-only segments, acked ones reclaimed.

Delivery rule 1 of the contract: an event is written here, with its ``seq``, before the
citizen sees "thank you"; the sender publishes from here until the host acknowledges.

On flash (directory ``log/``)::

    s0000001024          a segment: records whose seqs start at 1024 (name = first seq)
    meta                 {"acked": [[a, b], ...], "dropped": n, "rejected": n} written whole (tmp + rename)
    boot                 the boot counter, written whole

A record is ``E7 | len u16 | body | crc32 u32`` (little-endian; the CRC covers the magic,
the length and the body).  ``body`` is ``<IIQqB`` = seq, boot, up, ts (-1 = null), type
index into ``TYPES`` followed by the event's own fields as JSON.  About 80 bytes for an
``eval``: 12,288 events take about 1 MB of the ESP32's littlefs.

Power cuts: records are only ever appended, so a cut tears at most the last record of the
newest segment.  Recovery (at every start) checks every record's CRC; a torn tail is cut
off by rewriting the valid prefix and renaming it over the segment.  A bad record inside a
segment (a flash fault, not a tear) is skipped by re-synchronising on the next valid
record and counted in ``corrupt``.  The torn record's seq is reused: it was never sent, and
the thank-you for it was never shown.

Full-log policy (never silent): when the log holds ``MAX_SEGMENTS`` segments and a new one
is needed, the oldest segment is deleted even though unacknowledged; the number of dropped
events is added to ``dropped`` (kept in ``meta``) and ``take_dropped()`` hands the app the
range so it logs a ``fault``/``storage`` event naming it.  The host also sees the gap in
seqs.  A ``storage`` fault is raised long before, at ``WARN_SEGMENTS``.
"""

import json
import struct

try:
    from binascii import crc32
except ImportError:  # pragma: no cover - every MicroPython port we target has it
    from ubinascii import crc32  # type: ignore[no-redef]

from firmware.hal import TYPE_CHECKING
from firmware.pad import forget
from protocol import acks
from protocol.fields import dumps, encode
from protocol.pad import event
from protocol.wire import MAX_PAYLOAD

if TYPE_CHECKING:
    from typing import Any

    from firmware.hal.files import Files

MAGIC = 0xE7
HEAD = "<IIQqB"                 # seq, boot, up, ts (-1 = null), type index
HEAD_SIZE = struct.calcsize(HEAD)
FRAME = 3                       # magic + u16 length before the body
TRAILER = 4                     # crc32 after it
MAX_BODY = MAX_PAYLOAD          # an event never exceeds the wire's limit
# Index on flash of each event type: append only (an old index must keep its meaning).
TYPES = ("boot", "eval", "press_ignored", "prompt", "prompt_end", "pause", "resume",
         "power_off", "fault", "fault_clear", "fault_report", "cmd_result", "reason")
_ENVELOPE = ("v", "dev", "seq", "boot", "up", "ts", "type")

SEG_RECORDS = 128       # records per segment: ~10 KB, read whole only at recovery (heap!)
MAX_SEGMENTS = 96       # 12,288 events: a busy week offline (issue: >= 10,000)
WARN_SEGMENTS = 72      # storage fault at 75 % full: days of warning at a busy window
DIR = "log"
SEG_PREFIX = "s"


class LogError(Exception):
    """The log cannot be written (flash error): the app raises a storage fault."""


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


class EventLog:
    """Append events; read them back in seq order; forget them once acknowledged."""

    def __init__(self, files: "Files", dev: str) -> None:
        self.files = files
        self.dev = dev
        self.segs = []        # type: list[list[int]]  # [first_seq, count, size] oldest first; last = active
        self.acked = []       # type: list[list[int]]  # merged inclusive ranges, at or above the oldest seq
        self.dropped = 0      # events lost to the full-log policy, ever (persisted)
        self.rejected = 0     # events the host acked as rejected (rej), ever (persisted; state)
        self.corrupt = 0      # damaged records skipped at recovery (this boot)
        self.torn = 0         # torn tails cut off at recovery (this boot)
        self.max_boot = 0     # highest boot number found in the records
        self.next_seq = 1
        self._active: "Any" = None   # open append handle of the newest segment
        self._pending_drop = None  # type: tuple[int, int, int] | None  # (first, last, n) for the app to report
        self._cursor = None   # type: tuple[int, int, int] | None  # (first_seq, offset, seq at offset) of the last read
        self.recover()

    # -- recovery ------------------------------------------------------------------------

    def recover(self) -> None:
        """Rebuild the in-memory index from flash, cutting a torn tail off the newest segment
        (firmware/pad/recovery.py: loaded for it at start, then dropped from the heap)."""
        from firmware.pad import recovery
        recovery.recover(self)
        forget("firmware.pad.recovery")

    def read_segment(self, first: int) -> bytes:
        fh = self.files.open(seg_name(first), "rb")
        try:
            data = fh.read()
        finally:
            fh.close()
        return data

    def save_meta(self) -> None:
        """Persist acked ranges and counters (the app calls it after acks, throttled)."""
        floor = self.next_seq - 1
        self.files.write_small(DIR + "/meta", json.dumps(
            {"acked": self.acked, "dropped": self.dropped, "rejected": self.rejected,
             "floor": floor}).encode())

    # -- appending ------------------------------------------------------------------------

    def append(self, type: str, boot: int, up: int, ts: object, fields: dict) -> int:
        """Validate and durably write one event; returns its seq.

        Raises ProtocolError (a ValueError) for an event the contract refuses -- nothing is
        written -- and LogError on flash errors."""
        seq = self.next_seq
        msg = event(self.dev, seq, boot, up, ts, type, fields)
        encode(msg)    # refuses (too_large) what could never be sent: never log it
        extra = {}
        for k in msg:
            if k not in _ENVELOPE:
                extra[k] = msg[k]
        body = struct.pack(HEAD, seq, boot, up, -1 if ts is None else ts, TYPES.index(type))
        if extra:
            # The contract's dumps: raw UTF-8 on CPython too (the simulator), never \uXXXX
            # escapes, which can push a record past MAX_BODY and the recovery scan's limit.
            body += dumps(extra)
        rec = frame(body)
        try:
            if self.segs[-1][1] >= SEG_RECORDS:
                self._rotate(seq)
            fh = self._active
            if fh is None:
                fh = self._active = self.files.open(seg_name(self.segs[-1][0]), "ab")
            fh.write(rec)
            fh.flush()
        except OSError as exc:
            self.close()
            raise LogError("cannot write event {} to flash: {}".format(seq, exc))
        seg = self.segs[-1]
        seg[1] += 1
        seg[2] += len(rec)
        self.next_seq = seq + 1
        self.max_boot = max(self.max_boot, boot)
        return seq

    def _rotate(self, first: int) -> None:
        self.close()
        if len(self.segs) >= MAX_SEGMENTS:
            self._drop_oldest()
        self.new_segment(first)

    def new_segment(self, first: int) -> None:
        fh = self.files.open(seg_name(first), "wb")
        fh.close()
        self.segs.append([first, 0, 0])

    def _drop_oldest(self) -> None:
        """The full-log policy (see module doc): lose the oldest segment, and say so."""
        first, count, _ = self.segs.pop(0)
        self.files.remove(seg_name(first))
        lost = count - self._acked_in(first, first + count - 1)
        self.dropped += lost
        if lost:
            prev = self._pending_drop
            lo = prev[0] if prev else first
            n = (prev[2] if prev else 0) + lost
            self._pending_drop = (lo, first + count - 1, n)
        self.trim_acks()
        self.save_meta()

    def take_dropped(self) -> "tuple[int, int, int] | None":
        """(first seq, last seq, events lost) since the last call, or None."""
        out = self._pending_drop
        self._pending_drop = None
        return out

    def close(self) -> None:
        if self._active is not None:
            try:
                self._active.close()
            except OSError:
                pass
            self._active = None

    # -- reading --------------------------------------------------------------------------

    def oldest(self) -> int:
        return self.segs[0][0]

    def read(self, seq: int, limit: int) -> list:
        """Up to ``limit`` events with seq >= ``seq``, ascending (acked ones included).

        Reads record by record from a remembered position, so sending never loads a whole
        segment into the heap; a damaged record makes it fall back to a full scan.
        """
        out = []  # type: list
        for first, count, size in self.segs:
            if count == 0 or first + count <= seq:
                continue
            if not self._read_seg(first, size, seq, limit, out):
                # A damaged record: rare, so its code is loaded only now (see recover()).
                from firmware.pad import recovery
                self._cursor = None
                recovery.read_around_damage(self, first, seq, limit, out)
                forget("firmware.pad.recovery")
            if len(out) >= limit:
                break
        return out

    def _read_seg(self, first: int, size: int, seq: int, limit: int, out: list) -> bool:
        cur = self._cursor
        offset = 0
        if cur is not None and cur[0] == first and cur[2] <= seq:
            offset = cur[1]
        start = len(out)
        fh = self.files.open(seg_name(first), "rb")
        try:
            fh.seek(offset)
            while offset < size and len(out) < limit:
                head = fh.read(FRAME)
                if len(head) < FRAME or head[0] != MAGIC:
                    break
                blen = head[1] | (head[2] << 8)
                rest = fh.read(blen + TRAILER)
                if len(rest) < blen + TRAILER:
                    break
                crc = crc32(memoryview(rest)[:blen], crc32(head)) & 0xFFFFFFFF
                if struct.unpack_from("<I", rest, blen)[0] != crc:
                    break
                s = struct.unpack_from("<I", rest, 0)[0]
                offset += FRAME + blen + TRAILER
                self._cursor = (first, offset, s + 1)
                if s >= seq:
                    out.append(decode_body(self.dev, rest[:blen]))
            else:
                return True
        finally:
            fh.close()
        del out[start:]     # damaged spot: the caller rescans this segment whole
        return False

    # -- acknowledgements -----------------------------------------------------------------

    def ack(self, ranges: list) -> int:
        """Record acked ranges; delete segments wholly acked.  Returns segments reclaimed."""
        self.acked = acks.merge(self.acked + [list(r) for r in ranges])
        freed = 0
        while len(self.segs) > 1:
            first, count, _ = self.segs[0]
            if count and self._acked_in(first, first + count - 1) < count:
                break
            self.files.remove(seg_name(first))
            self.segs.pop(0)
            freed += 1
        self.trim_acks()
        return freed

    def _acked_in(self, lo: int, hi: int) -> int:
        n = 0
        for a, b in self.acked:
            a = max(a, lo)
            b = min(b, hi)
            if a <= b:
                n += b - a + 1
        return n

    def trim_acks(self) -> None:
        """Forget ack ranges below the oldest retained seq (keep the list short)."""
        low = self.segs[0][0] if self.segs else 0
        keep = []
        for a, b in self.acked:
            if b >= low:
                keep.append([max(a, low), b])
        self.acked = keep

    def is_pending(self, seq: int) -> bool:
        """In the log and not yet acknowledged."""
        return bool(self.segs) and self.segs[0][0] <= seq < self.next_seq and not self.is_acked(seq)

    def is_acked(self, seq: int) -> bool:
        for a, b in self.acked:
            if a <= seq <= b:
                return True
        return False

    def next_unacked(self, seq: int) -> "int | None":
        """The first unacked seq >= ``seq`` still in the log, or None."""
        s = max(seq, self.segs[0][0])
        for a, b in self.acked:
            if a <= s <= b:
                s = b + 1
        return s if s < self.next_seq else None

    def count(self) -> int:
        n = 0
        for seg in self.segs:
            n += seg[1]
        return n

    def unacked(self) -> int:
        """Events still waiting for the host (the state's ``buffered``)."""
        lo = self.segs[0][0]
        return self.count() - self._acked_in(lo, self.next_seq - 1)

    def nearly_full(self) -> bool:
        return len(self.segs) >= WARN_SEGMENTS


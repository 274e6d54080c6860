"""The event log's recovery at start (and around a damaged record): firmware/pad/eventlog.py.

Loaded only while it runs, then dropped from the heap (``firmware.pad.forget``): the pad
needs it once per start, and its bytecode would otherwise stay for good.

Every record's CRC is checked; a torn tail of the newest segment is cut off by rewriting the
valid prefix and renaming it over the segment; a bad record inside a segment (a flash fault,
not a tear) is skipped by re-synchronising on the next valid record and counted.
"""

import json
import struct

try:
    from binascii import crc32
except ImportError:  # pragma: no cover - every MicroPython port we target has it
    from ubinascii import crc32  # type: ignore[no-redef]

from firmware.hal import TYPE_CHECKING
from firmware.pad.logformat import (
    DIR,
    FRAME,
    HEAD_SIZE,
    MAGIC,
    MAX_BODY,
    SEG_PREFIX,
    TRAILER,
    decode_body,
    seg_name,
)

if TYPE_CHECKING:
    from firmware.pad.parts import LogUnderRepair


def scan(data: bytes, start: int = 0) -> tuple:
    """Walk the records of a segment's bytes from ``start``.

    Returns ``(records, valid_end, bad)``: ``records`` is a list of ``(offset, seq)``,
    ``valid_end`` the offset after the last valid record (where a torn tail begins) and
    ``bad`` how many damaged spots were skipped before a later valid record.
    """
    records = []
    pos = start
    valid_end = start
    bad = 0
    n = len(data)
    skipping = False
    while pos < n:
        rec = _parse_at(data, pos, n)
        if rec is None:
            skipping = True
            pos += 1
            continue
        if skipping:
            bad += 1
            skipping = False
        records.append((pos, rec[0]))
        pos += rec[1]
        valid_end = pos
    return records, valid_end, bad


def _parse_at(data: bytes, pos: int, n: int) -> "tuple[int, int] | None":
    """(seq, record length) if a valid record starts at pos, else None."""
    if data[pos] != MAGIC or pos + FRAME > n:
        return None
    size = data[pos + 1] | (data[pos + 2] << 8)
    end = pos + FRAME + size + TRAILER
    if size < HEAD_SIZE or size > MAX_BODY or end > n:
        return None
    mv = memoryview(data)
    crc = crc32(mv[pos + FRAME:end - TRAILER], crc32(mv[pos:pos + FRAME])) & 0xFFFFFFFF
    if struct.unpack_from("<I", data, end - TRAILER)[0] != crc:
        return None
    return struct.unpack_from("<I", data, pos + FRAME)[0], end - pos


def recover(log: "LogUnderRepair") -> None:
    """Rebuild the log's in-memory index from flash, cutting a torn tail off the newest segment."""
    log.close()
    f = log.files
    f.mkdir(DIR)
    names = []
    for name in f.listdir(DIR):
        if not name.startswith(SEG_PREFIX):
            continue            # meta, boot and their .tmp copies are read_small's business
        if name.endswith(".tmp"):
            f.remove(DIR + "/" + name)  # an interrupted tail repair
            continue
        try:
            names.append(int(name[len(SEG_PREFIX):]))
        except ValueError:
            pass                # not ours: leave it alone rather than fail to boot
    names.sort()
    floor = _load_meta(log)
    log.segs = []
    top = 0
    for i, first in enumerate(names):
        data = log.read_segment(first)
        recs, valid_end, bad = scan(data)
        log.corrupt += bad
        if recs:
            top = max(top, recs[-1][1])
            boot = struct.unpack_from("<I", data, recs[-1][0] + FRAME + 4)[0]
            log.max_boot = max(log.max_boot, boot)
        if valid_end < len(data):
            if i == len(names) - 1:
                log.torn += 1
            else:
                log.corrupt += 1
            f.write_small(seg_name(first), data[:valid_end])
            log._cursor = None
        log.segs.append([first, len(recs), valid_end])
        top = max(top, first - 1)
        del data        # free the segment's bytes before reading the next
    if not log.segs:
        for r in log.acked:
            floor = max(floor, r[1])
        log.new_segment(floor + 1)
        top = floor
    log.next_seq = top + 1
    log.trim_acks()


def _load_meta(log: "LogUnderRepair") -> int:
    """Acked ranges and counters from ``meta``; returns its floor (the highest seq ever logged)."""
    raw = log.files.read_small(DIR + "/meta")
    log.acked = []
    try:
        meta = json.loads(raw) if raw else {}
        log.acked = [list(r) for r in meta.get("acked", [])]
        log.dropped = int(meta.get("dropped", 0))
        log.rejected = int(meta.get("rejected", 0))
        return int(meta.get("floor", 0))
    except (ValueError, TypeError):
        return 0   # a damaged meta only costs resends: the host dedups by seq


def read_around_damage(log: "LogUnderRepair", first: int, seq: int, limit: int, out: list) -> None:
    """``log.read`` of one segment with a damaged record: scan it whole, skip the damage."""
    data = log.read_segment(first)
    for offset, s in scan(data)[0]:
        if s >= seq and len(out) < limit:
            size = data[offset + 1] | (data[offset + 2] << 8)
            out.append(decode_body(log.dev, bytes(data[offset + FRAME:offset + FRAME + size])))

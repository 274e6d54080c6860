"""Ack messages for a pad: merged ranges of recorded seqs and the rejected ones named in
``rej`` (protocol.md Delivery 3 and 5), split so each fits the contract's 1024 bytes.

Each message stands alone: the seqs it names in ``rej`` lie inside its own ranges, so a
pad that loses one message of a split ack still reads every other one correctly.
"""

from __future__ import annotations

import bisect
import json

from protocol import acks, messages, spec

# A range holding more rejected seqs is cut into pieces of at most this many: 16 entries of
# the longest seq (16 digits) and code (32 characters) and their range take 923 bytes.
REJ_PER_PIECE = 16
_HEAD = len('{"v":1,"ack":[]}')
_REJ_HEAD = len(',"rej":[]')


def _size(item: list) -> int:
    return len(json.dumps(item, separators=(",", ":")))


def _pieces(seqs: set[int], rej: dict[int, str]) -> list[tuple[list[int], list[list]]]:
    """(range, its rej entries) with at most REJ_PER_PIECE entries each, in seq order."""
    rejected = sorted(rej)
    out: list[tuple[list[int], list[list]]] = []
    for a, b in acks.to_ranges(seqs | set(rej)):
        inside = rejected[bisect.bisect_left(rejected, a):bisect.bisect_right(rejected, b)]
        while len(inside) > REJ_PER_PIECE:
            cut = inside[REJ_PER_PIECE - 1]
            out.append(([a, cut], [[s, rej[s]] for s in inside[:REJ_PER_PIECE]]))
            a, inside = cut + 1, inside[REJ_PER_PIECE:]
        out.append(([a, b], [[s, rej[s]] for s in inside]))
    return out


def ack_payloads(seqs: set[int], rej: dict[int, str] | None = None) -> list[bytes]:
    """The ack message(s) acknowledging ``seqs`` and the rejected ``rej`` ({seq: code})."""
    rej = rej or {}
    payloads: list[bytes] = []
    ranges: list[list[int]] = []
    named: list[list] = []
    size = _HEAD

    def flush() -> None:
        payloads.append(messages.encode(messages.ack(ranges, named)))   # encode checks the limit

    for rng, entries in _pieces(set(seqs), rej):
        grow = _size(rng) + (1 if ranges else 0) + sum(_size(e) + 1 for e in entries)
        if entries and not named:
            grow += _REJ_HEAD - 1        # the first entry has no comma before it
        if ranges and size + grow > spec.MAX_PAYLOAD:
            flush()
            ranges, named, size = [], [], _HEAD
            grow = _size(rng) + sum(_size(e) + 1 for e in entries) + (_REJ_HEAD - 1 if entries else 0)
        ranges.append(rng)
        named.extend(entries)
        size += grow
    if ranges:
        flush()
    return payloads

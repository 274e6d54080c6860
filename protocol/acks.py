"""Ack ranges: the host acknowledges stored seqs as merged inclusive ranges."""


def to_ranges(seqs: object) -> list:
    """Seqs (any iterable of ints, any order, repeats allowed) -> sorted merged [[from, to], ...]."""
    out = []  # type: list
    for s in sorted(set(seqs)):  # type: ignore[call-overload]
        if out and s == out[-1][1] + 1:
            out[-1][1] = s
        else:
            out.append([s, s])
    return out


def merge(ranges: list) -> list:
    """Normalise ranges that may overlap, touch or come unsorted into sorted disjoint ones."""
    out = []  # type: list
    for a, b in sorted([list(r) for r in ranges]):
        if out and a <= out[-1][1] + 1:
            if b > out[-1][1]:
                out[-1][1] = b
        else:
            out.append([a, b])
    return out


def covers(ranges: list, seq: int) -> bool:
    for a, b in ranges:
        if a <= seq <= b:
            return True
    return False


def unacked(pending: object, ranges: list) -> list:
    """The seqs of ``pending`` that ``ranges`` do not acknowledge, in ascending order."""
    rs = merge(ranges)
    out = []  # type: list
    i = 0
    # Both sides sorted: one walk, so a pad with thousands of pending seqs stays fast.
    for s in sorted(pending):  # type: ignore[call-overload]
        while i < len(rs) and rs[i][1] < s:
            i += 1
        if i == len(rs) or s < rs[i][0]:
            out.append(s)
    return out


def count(ranges: list) -> int:
    """How many seqs the (disjoint) ranges hold."""
    n = 0
    for a, b in ranges:
        n += b - a + 1
    return n

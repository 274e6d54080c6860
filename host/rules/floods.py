"""Floods of evaluations (R6, R7): more presses from one pad than people can make.

Pure: the caller passes one pad's evaluation times (event time, R10), sorted. A pad counts
a press at most every ``min_interval_s`` (R6: 20 s by default), so an honest pad gives at
most three evaluations a minute, and a backlog it resends after an outage keeps the times
they were pressed. Many evaluations within one minute of event time are a script using the
pad's credentials (or a broken pad), not citizens.
"""

from __future__ import annotations

from collections.abc import Sequence

# Twenty in one minute: nearly seven times what a pad at the default 20-s interval can give,
# still more than a pad configured down to 5 s can (12), and reached within seconds by a
# script sending "hundreds a minute". The center may change it (EVALPAD_FLOOD_EVALS_PER_MINUTE).
DEFAULT_EVALS_PER_MINUTE = 20
WINDOW_MS = 60_000


def bursts(times: Sequence[int], threshold: int = DEFAULT_EVALS_PER_MINUTE,
           window_ms: int = WINDOW_MS) -> list[tuple[int, int]]:
    """Index ranges ``[first, last]`` of ``times`` where at least ``threshold`` of them lie within
    ``window_ms`` of each other; overlapping or touching ranges are merged into one burst."""
    if threshold < 2:
        raise ValueError("a flood needs a threshold of at least 2 evaluations")
    out: list[tuple[int, int]] = []
    lo = 0
    for hi, t in enumerate(times):
        while t - times[lo] >= window_ms:
            lo += 1
        if hi - lo + 1 < threshold:
            continue
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out

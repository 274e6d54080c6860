"""Always-on closures (无故关闭, R5): a window's pad off during its working sessions.

Every stretch in a working session when none of the window's pads was on is one off
interval; if it lies in the session for at least the grace period it is one **closure**,
counted once per session it touches (11:00-14:00 is two closures). A pad switched on late
is a closure for the late part; a window whose pad never came on has a closure per session.

Power facts arrive already attributed to the window through the assignment history (R10).
``off`` is evidence the pad was off; ``unknown`` and host downtime are not (R5 d): an off
stretch only counts when its evidence part alone reaches the grace period, otherwise it is
listed as excused ``host_down``. Time with no fact at all while the host ran means no pad
was on: off.

Excuses (a closure is listed, never hidden): ``placard`` (R5 a), ``host_down`` (R5 d),
and any ``ExcuseSpan`` it overlaps: ``fault:<id>`` (R5 b, R7 pad fault confirmed by IT),
``network_outage:<id>`` (R7, many pads offline together). Closed days have no sessions (R5 c).

Pure: no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from host.rules.types import Closure, Span, WorkSession

DEFAULT_GRACE_MS = 3 * 60_000       # R5: configurable grace period, default 3 minutes
FIRST_SESSIONS = ("morning", "saturday-1")   # where switching on late is "late_start"


@dataclass(frozen=True, slots=True)
class PowerFact:
    """One PowerInterval of a pad, clipped to the time it sat on this window (R10)."""

    device_id: str
    state: str          # "on" | "off" | "unknown"
    span: Span
    cause: str = ""


@dataclass(frozen=True, slots=True)
class ExcuseSpan:
    """A period that excuses any closure it overlaps, e.g. ``fault:12`` or ``network_outage:3``."""

    span: Span
    excuse: str


def merge(spans: Iterable[Span]) -> list[Span]:
    """Sorted, non-overlapping, non-touching union of ``spans`` (empty spans dropped)."""
    out: list[Span] = []
    for s in sorted((s for s in spans if s.end_ms > s.start_ms), key=lambda s: s.start_ms):
        if out and s.start_ms <= out[-1].end_ms:
            if s.end_ms > out[-1].end_ms:
                out[-1] = Span(out[-1].start_ms, s.end_ms)
        else:
            out.append(s)
    return out


def _window(merged: Sequence[Span], span: Span) -> Sequence[Span]:
    """The members of a merged list that may overlap ``span`` (in a merged list ends and starts ascend)."""
    lo = _bisect_end(merged, span.start_ms)
    return merged[lo:_bisect_start(merged, span.end_ms, lo)]


def _bisect_end(merged: Sequence[Span], x: int) -> int:
    lo, hi = 0, len(merged)
    while lo < hi:
        mid = (lo + hi) // 2
        if merged[mid].end_ms <= x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _bisect_start(merged: Sequence[Span], x: int, lo: int) -> int:
    hi = len(merged)
    while lo < hi:
        mid = (lo + hi) // 2
        if merged[mid].start_ms < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def overlap_total(span: Span, merged: Sequence[Span]) -> int:
    return sum(span.overlap_ms(m) for m in _window(merged, span))


def gaps(span: Span, merged: Sequence[Span]) -> list[Span]:
    """The parts of ``span`` not covered by ``merged``."""
    out: list[Span] = []
    cursor = span.start_ms
    for m in _window(merged, span):
        if m.start_ms > cursor:
            out.append(Span(cursor, min(m.start_ms, span.end_ms)))
        cursor = max(cursor, m.end_ms)
    if cursor < span.end_ms:
        out.append(Span(cursor, span.end_ms))
    return out


def subtract(a: Sequence[Span], b: Sequence[Span]) -> list[Span]:
    """``a`` minus ``b``, both merged."""
    out: list[Span] = []
    for s in a:
        out.extend(gaps(s, b))
    return out


Raw = tuple[str, str, int, int, str]          # (device_id, state, start_ms, end_ms, cause)


@dataclass(slots=True)
class WindowPower:
    """One window's power facts shaped for the sweep: plain ints, so 2,000 windows stay cheap.

    ``on``: merged [start, end) pairs when some pad of the window was on; ``off``: off facts
    (start, end, device, cause) by start; ``unknown``: unknown facts; ``raw``: every fact.
    """

    on: list[tuple[int, int]]
    off: list[tuple[int, int, str, str]]
    unknown: list[tuple[int, int]]
    raw: list[Raw]

    @classmethod
    def of(cls, raw: list[Raw]) -> WindowPower:
        on: list[tuple[int, int]] = []
        for start, end in sorted((r[2], r[3]) for r in raw if r[1] == "on" and r[3] > r[2]):
            if on and start <= on[-1][1]:
                if end > on[-1][1]:
                    on[-1] = (on[-1][0], end)
            else:
                on.append((start, end))
        off = sorted((r[2], r[3], r[0], r[4]) for r in raw if r[1] == "off")
        unknown = [(r[2], r[3]) for r in raw if r[1] == "unknown"]
        return cls(on, off, unknown, raw)

    @classmethod
    def from_facts(cls, facts: Iterable[PowerFact]) -> WindowPower:
        return cls.of([(f.device_id, f.state, f.span.start_ms, f.span.end_ms, f.cause) for f in facts])


def find_closures(window_id: int, sessions: Sequence[WorkSession], power: Sequence[PowerFact] | WindowPower,
                  *, grace_ms: int = DEFAULT_GRACE_MS, host_down: Sequence[Span] = (),
                  excuses: Sequence[ExcuseSpan] = (), placard: bool = False,
                  until_ms: int | None = None, since_ms: int | None = None) -> list[Closure]:
    """Every closure of one window in ``sessions`` (R5), excused ones included and marked.

    ``until_ms`` cuts a month so far at "now": later session time is not judged yet.
    ``since_ms``: the window's first pad was installed then; before it no pad was ever
    "last known on" (R5), so earlier session time is not judged.
    """
    wp = power if isinstance(power, WindowPower) else WindowPower.from_facts(power)
    on = wp.on
    no_evidence: list[Span] | None = None     # built on first need: most windows never need it
    out: list[Closure] = []
    first = 0                                   # sessions and ``on`` both ascend: one sweep
    n_on = len(on)
    for session in sessions:
        start, end = session.span.start_ms, session.span.end_ms
        if until_ms is not None:
            if start >= until_ms:
                continue
            end = min(end, until_ms)
        if since_ms is not None:
            if end <= since_ms:
                continue
            start = max(start, since_ms)
        while first < n_on and on[first][1] <= start:
            first += 1
        if first < n_on and on[first][0] <= start and on[first][1] >= end:
            continue                            # on for the whole session: the common case
        for stretch in _uncovered(start, end, on, first):
            length = stretch.end_ms - stretch.start_ms
            if length < grace_ms:
                continue                            # R5: shorter than the grace period
            if no_evidence is None:
                # No evidence either way (R5 d): unknown facts and host downtime, unless off covers it.
                off_spans = merge(Span(o[0], o[1]) for o in wp.off)
                no_evidence = subtract(merge([*(Span(a, b) for a, b in wp.unknown), *host_down]), off_spans)
            evidence = length - overlap_total(stretch, no_evidence)
            excuse: str | None
            if placard:
                excuse = "placard"
            elif evidence < grace_ms:
                excuse = "host_down"
            else:
                excuse = next((e.excuse for e in excuses if e.span.overlap_ms(stretch) > 0), None)
            out.append(Closure(window_id=window_id, device_id=_device_at(wp, stretch), session=session,
                               off=stretch, cause=_cause(session, stretch, wp), excuse=excuse))
    return out


def _uncovered(start: int, end: int, on: Sequence[tuple[int, int]], first: int) -> list[Span]:
    """The parts of [start, end) no pair of the merged list ``on`` (from index ``first``) covers."""
    out: list[Span] = []
    cursor = start
    i = first
    while i < len(on) and on[i][0] < end:
        if on[i][0] > cursor:
            out.append(Span(cursor, on[i][0]))
        cursor = max(cursor, on[i][1])
        i += 1
    if cursor < end:
        out.append(Span(cursor, end))
    return out


def _off_at(wp: WindowPower, ms: int) -> tuple[int, int, str, str] | None:
    for o in wp.off:
        if o[0] <= ms < o[1]:
            return o
    return None


def _device_at(wp: WindowPower, stretch: Span) -> str | None:
    fact = _off_at(wp, stretch.start_ms)
    if fact is not None:
        return fact[2]
    devices = {r[0] for r in wp.raw if r[2] < stretch.end_ms and r[3] > stretch.start_ms}
    return devices.pop() if len(devices) == 1 else None


def _cause(session: WorkSession, stretch: Span, wp: WindowPower) -> str:
    if not wp.on:
        return "never_on"
    if (session.name in FIRST_SESSIONS and stretch.start_ms == session.span.start_ms
            and stretch.end_ms < session.span.end_ms):
        return "late_start"                        # R5: switched on after the session began
    fact = _off_at(wp, stretch.start_ms)
    return (fact[3] or "off") if fact is not None else "no_data"

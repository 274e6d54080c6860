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


def find_closures(window_id: int, sessions: Sequence[WorkSession], power: Sequence[PowerFact], *,
                  grace_ms: int = DEFAULT_GRACE_MS, host_down: Sequence[Span] = (),
                  excuses: Sequence[ExcuseSpan] = (), placard: bool = False,
                  until_ms: int | None = None) -> list[Closure]:
    """Every closure of one window in ``sessions`` (R5), excused ones included and marked.

    ``until_ms`` cuts a month so far at "now": later session time is not judged yet.
    """
    on = merge(f.span for f in power if f.state == "on")
    off = merge(f.span for f in power if f.state == "off")
    # No evidence either way (R5 d): unknown facts and host downtime, unless an off fact covers it.
    no_evidence = subtract(merge([*(f.span for f in power if f.state == "unknown"), *host_down]), off)
    off_facts = sorted((f for f in power if f.state == "off"), key=lambda f: f.span.start_ms)
    ever_on = bool(on)
    out: list[Closure] = []
    for session in sessions:
        span = session.span
        if until_ms is not None:
            if span.start_ms >= until_ms:
                continue
            span = Span(span.start_ms, min(span.end_ms, until_ms))
        for stretch in gaps(span, on):
            length = stretch.end_ms - stretch.start_ms
            if length < grace_ms:
                continue                            # R5: shorter than the grace period
            evidence = length - overlap_total(stretch, no_evidence)
            excuse: str | None
            if placard:
                excuse = "placard"
            elif evidence < grace_ms:
                excuse = "host_down"
            else:
                excuse = next((e.excuse for e in excuses if e.span.overlap_ms(stretch) > 0), None)
            out.append(Closure(window_id=window_id, device_id=_device_at(off_facts, power, stretch),
                               session=session, off=stretch,
                               cause=_cause(session, stretch, off_facts, ever_on), excuse=excuse))
    return out


def _fact_at(off_facts: Sequence[PowerFact], ms: int) -> PowerFact | None:
    for f in off_facts:
        if f.span.start_ms <= ms < f.span.end_ms:
            return f
    return None


def _device_at(off_facts: Sequence[PowerFact], power: Sequence[PowerFact], stretch: Span) -> str | None:
    fact = _fact_at(off_facts, stretch.start_ms)
    if fact is not None:
        return fact.device_id
    devices = {f.device_id for f in power if f.span.overlap_ms(stretch) > 0}
    return devices.pop() if len(devices) == 1 else None


def _cause(session: WorkSession, stretch: Span, off_facts: Sequence[PowerFact], ever_on: bool) -> str:
    if not ever_on:
        return "never_on"
    if (session.name in FIRST_SESSIONS and stretch.start_ms == session.span.start_ms
            and stretch.end_ms < session.span.end_ms):
        return "late_start"                        # R5: switched on after the session began
    fact = _fact_at(off_facts, stretch.start_ms)
    return (fact.cause or "off") if fact is not None else "no_data"


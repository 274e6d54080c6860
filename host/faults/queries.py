"""What the fault log means for scoring (R5, R7) and the IT section's summary (MTTR, per pad)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from host.faults.detect import NETWORK_OUTAGE
from host.models.faults import Fault
from host.rules.types import Span

# Verdicts that mean a mass outage was not the pads' fault (network, power) -- or not yet
# judged: a mass outage excuses the closures it covers until IT says otherwise (R7).
OUTAGE_EXCUSING = (None, "network", "power", "pad_fault")


def _span_of(f: Fault, until_ms: int) -> Span:
    """The time the fault lasted: from its start until the pad cleared it, it was resolved, or now."""
    end = f.cleared_ms if f.cleared_ms is not None else f.resolved_ms
    return Span(f.started_ms, end if end is not None else max(until_ms, f.started_ms))


def _overlapping(session: Session, span: Span) -> list[Fault]:
    return list(session.exec(select(Fault).where(
        col(Fault.started_ms) < span.end_ms,
        (col(Fault.cleared_ms).is_(None)) | (col(Fault.cleared_ms) > span.start_ms))
        .order_by(col(Fault.started_ms), col(Fault.id))).all())


def pad_fault_spans(session: Session, device_ids: Iterable[str],
                    span: Span) -> list[tuple[Span, int, tuple[str, ...]]]:
    """Faults IT confirmed as pad faults (verdict ``pad_fault``) of these pads overlapping ``span``.

    Returns ``(fault span, fault id, its pads)``; a deduction overlapping one while one of
    its pads sat on that window is waived (R7, R10). Faults still open or with any other
    verdict waive nothing.
    """
    devices = set(device_ids)
    out = []
    for f in _overlapping(session, span):
        if f.verdict != "pad_fault" or f.id is None:
            continue
        pads = {d for d in (f.device_id, *f.devices) if d}
        if devices & pads:
            s = _span_of(f, span.end_ms)
            if s.overlap_ms(span) > 0:
                out.append((s, f.id, tuple(sorted(pads))))
    return out


def network_outage_spans(session: Session, span: Span) -> list[tuple[Span, int, tuple[str, ...]]]:
    """Mass outages overlapping ``span``: ``(outage span, fault id, pads)`` (R5, R7).

    A pad's off time inside its outage's span is the network's fault, not a closure.
    Outages IT judged ``staff_caused`` or ``no_fault_found`` excuse nothing.
    """
    out = []
    for f in _overlapping(session, span):
        if f.code != NETWORK_OUTAGE or f.verdict not in OUTAGE_EXCUSING or f.id is None:
            continue
        s = _span_of(f, span.end_ms)
        if s.overlap_ms(span) > 0:
            out.append((s, f.id, tuple(f.devices)))
    return out


@dataclass(frozen=True, slots=True)
class FaultSummary:
    """The repair log's summary: counts by status and verdict, MTTR, faults per pad."""

    total: int
    by_status: dict[str, int] = field(default_factory=dict)
    by_verdict: dict[str, int] = field(default_factory=dict)
    per_pad: dict[str, int] = field(default_factory=dict)
    mttr_ms: int | None = None          # mean time to repair: log opened -> resolved
    resolved: int = 0


def summary(session: Session, span: Span) -> FaultSummary:
    """Faults opened in ``span``; MTTR over those resolved (opened -> resolved)."""
    rows = list(session.exec(select(Fault).where(
        col(Fault.opened_ms) >= span.start_ms, col(Fault.opened_ms) < span.end_ms)).all())
    repaired = [f.resolved_ms - f.opened_ms for f in rows if f.resolved_ms is not None]
    per_pad: Counter[str] = Counter()
    for f in rows:
        for d in ([f.device_id] if f.device_id else f.devices):
            per_pad[d] += 1
    return FaultSummary(
        total=len(rows),
        by_status=dict(Counter(f.status for f in rows)),
        by_verdict=dict(Counter(f.verdict or "none" for f in rows)),
        per_pad=dict(sorted(per_pad.items(), key=lambda kv: (-kv[1], kv[0]))),
        mttr_ms=round(sum(repaired) / len(repaired)) if repaired else None,
        resolved=len(repaired),
    )

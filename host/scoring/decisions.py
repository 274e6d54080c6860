"""The people's decisions the score depends on, from the review helper's modules (R6, R7, R8, R3).

One place that knows where confirmed violations, voided evaluations, IT-confirmed pad faults,
network outages, management waivers and monthly volumes come from, so the report code stays
about arithmetic. To stay fast for thousands of windows it first asks, in one query per kind,
which windows have any decision at all in the month, and only calls the per-window functions
for those.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from sqlmodel import Session, col, select

from host.faults.queries import network_outage_spans, pad_fault_spans
from host.models.review import ViolationCandidate
from host.models.service import ServiceSession
from host.models.volume import MonthlyVolume
from host.models.waivers import Waiver
from host.rules.tenure import PadExcuse
from host.rules.types import Deduction, Span
from host.violations.review import confirmed_deductions, voided_event_ids
from host.volume import IMPORT, volume_for
from host.waivers import waivers_for

log = logging.getLogger(__name__)

FEW_WINDOWS = 100      # below this, filter by window id in SQL; above, one pass over the month is cheaper


def windows_with_confirmed(session: Session, span: Span) -> set[int]:
    rows = session.exec(select(ViolationCandidate.window_id).where(
        ViolationCandidate.status == "confirmed", col(ViolationCandidate.at_ms) >= span.start_ms,
        col(ViolationCandidate.at_ms) < span.end_ms).distinct()).all()
    return set(rows)


def confirmed(session: Session, window_id: int, month: str) -> tuple[list[Deduction], set[int]]:
    """R6: the window's confirmed violations as deductions, and the evaluations they void (R2)."""
    return confirmed_deductions(session, window_id, month), voided_event_ids(session, window_id, month)


def windows_with_waivers(session: Session, month: str) -> set[int]:
    rows = session.exec(select(Waiver.window_id).where(Waiver.month == month,
                                                       col(Waiver.revoked_ms).is_(None)).distinct()).all()
    return set(rows)


def waivers(session: Session, window_id: int, month: str) -> dict[str, str]:
    """R8: deduction_key -> the management section's written reason."""
    return dict(waivers_for(session, window_id, month))


def pad_faults(session: Session, device_ids: Iterable[str], span: Span) -> list[PadExcuse]:
    """R7: faults IT confirmed as pad faults on these pads, overlapping ``span``, with their pads."""
    devices = sorted(set(device_ids))
    if not devices:
        return []
    return [PadExcuse(s, f"fault:{fid}", frozenset(pads))
            for s, fid, pads in pad_fault_spans(session, devices, span)]


def network_outages(session: Session, span: Span) -> list[PadExcuse]:
    """R7: mass outages (many pads offline together): one network fault, not a closure per pad."""
    return [PadExcuse(s, f"network_outage:{fid}", frozenset(devices))
            for s, fid, devices in network_outage_spans(session, span)]


def volumes(session: Session, month: str, window_ids: Sequence[int]) -> dict[int, tuple[int | None, str]]:
    """R3: window -> (V, "import"|"queue"|"none") as host.volume.volume_for says.

    For thousands of windows: the newest import per window (host.volume.imported_volume's
    rule: the latest import supersedes) comes from one query; only windows without an
    import but with queue-system sessions are asked one by one.
    """
    wanted = set(window_ids)
    q = select(MonthlyVolume).where(MonthlyVolume.month == month).order_by(col(MonthlyVolume.id))
    sq = select(ServiceSession.window_id).distinct()
    if len(wanted) <= FEW_WINDOWS:            # one window's month so far: ask only for it
        q = q.where(col(MonthlyVolume.window_id).in_(wanted))
        sq = sq.where(col(ServiceSession.window_id).in_(wanted))
    out: dict[int, tuple[int | None, str]] = {r.window_id: (r.volume, IMPORT) for r in session.exec(q).all()
                                              if r.window_id in wanted}
    queued = set(session.exec(sq).all())
    for w in (wanted & queued) - set(out):
        out[w] = volume_for(session, w, month)
    return out

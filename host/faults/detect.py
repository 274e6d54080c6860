"""Open faults automatically from facts (R7); every function is idempotent and commits.

- ``sync_pad_events``: the pad's own ``fault``/``fault_clear`` (self-checks) and
  ``fault_report`` (staff pressed "report a problem" on the pad), and repeated watchdog
  resets (``boot`` events whose ``reset_cause`` is ``watchdog``).
- ``detect_outages``: many pads of one center offline together = one network fault
  (host.rules.outages), not a closure per pad.
- ``detect_silent``: a pad silent (off, not switched off by its key) in working hours.

Each fact feeds at most one fault (host.models.faults.FaultEvidence), so running these
again changes nothing. They commit after each fact (or window) that changed something: on
SQLite the write lock lasts from the first write to the commit, and the ingest's writer
must never wait for a whole sweep (issue 10).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from host import audit
from host.faults.log import SYSTEM, open_fault, window_of
from host.models.events import Event
from host.models.faults import Fault, FaultEvidence
from host.models.fleet import Assignment, Device
from host.models.liveness import PowerInterval
from host.rules.outages import OffInterval, OutageRules, find_outages
from host.rules.types import Span

log = logging.getLogger(__name__)

PAD_FAULT_TYPES = ("fault", "fault_clear", "fault_report")
WATCHDOG_RESETS = "watchdog_resets"
SILENT = "silent"
NETWORK_OUTAGE = "network_outage"
# Three watchdog resets within an hour is a pad that keeps crashing, not bad luck (configurable).
DEFAULT_WATCHDOG_COUNT = 3
DEFAULT_WATCHDOG_WINDOW_MS = 3_600_000
# A pad silent this long inside working hours is reported to IT (heartbeat loss for 10 min is
# far beyond a Wi-Fi hiccup, and well before the grace period piles up closures).
DEFAULT_SILENT_MS = 600_000


@dataclass(frozen=True, slots=True)
class FaultRules:
    watchdog_count: int = DEFAULT_WATCHDOG_COUNT
    watchdog_window_ms: int = DEFAULT_WATCHDOG_WINDOW_MS
    silent_ms: int = DEFAULT_SILENT_MS
    outages: OutageRules = field(default_factory=OutageRules)


def _linked_events(session: Session, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    rows = session.exec(select(FaultEvidence.event_id).where(col(FaultEvidence.event_id).in_(ids))).all()
    return {r for r in rows if r is not None}


def _linked_intervals(session: Session, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    rows = session.exec(select(FaultEvidence.interval_id)
                        .where(col(FaultEvidence.interval_id).in_(ids))).all()
    return {r for r in rows if r is not None}


def sync_pad_events(session: Session, span: Span, *, now_ms: int, rules: FaultRules | None = None) -> int:
    """Feed the pad events in ``span`` into the log; returns how many faults were opened."""
    rules = rules or FaultRules()
    events = list(session.exec(select(Event).where(
        col(Event.type).in_(PAD_FAULT_TYPES), col(Event.at_ms) >= span.start_ms,
        col(Event.at_ms) < span.end_ms)
        .order_by(col(Event.at_ms), col(Event.device_id), col(Event.seq))).all())
    done = _linked_events(session, [e.id for e in events if e.id is not None])
    opened = 0
    for e in events:
        if e.id in done:
            continue
        code = str(e.body.get("code", "other"))
        detail = str(e.body.get("detail") or "")
        if e.type == "fault":
            _, new = open_fault(session, source="pad", code=code, at_ms=e.at_ms, now_ms=now_ms,
                                device_id=e.device_id, window_id=e.window_id, detail=detail, event_id=e.id)
            opened += new
        elif e.type == "fault_report":
            _, new = open_fault(session, source="staff", code="staff_report", at_ms=e.at_ms, now_ms=now_ms,
                                by=f"pad:{e.device_id}", device_id=e.device_id, window_id=e.window_id,
                                detail=detail or "reported on the pad", event_id=e.id)
            opened += new
        else:
            _clear(session, e, code, now_ms)
        session.commit()
    opened += _watchdog(session, span, now_ms, rules)
    session.commit()
    return opened


def _clear(session: Session, e: Event, code: str, now_ms: int) -> None:
    """The pad's self-check says the problem is gone: the fault's span ends (it stays in the log)."""
    row = session.exec(select(Fault).where(Fault.device_id == e.device_id, Fault.code == code,
                                           Fault.status != "resolved").order_by(col(Fault.id).desc())).first()
    if row is None:
        # A clear with nothing open (the fault predates the log): marked seen, feeds no fault.
        log.info("fault_clear %s from %s with no open fault", code, e.device_id)
        session.add(FaultEvidence(fault_id=None, event_id=e.id))
        return
    if row.cleared_ms is None or row.cleared_ms < e.at_ms:
        row.cleared_ms = e.at_ms
    session.add(row)
    assert row.id is not None
    session.add(FaultEvidence(fault_id=row.id, event_id=e.id))
    audit.record(session, at_ms=now_ms, actor=f"pad:{e.device_id}", action="fault.clear",
                 subject=f"fault:{row.id}", reason=str(e.body.get("detail") or ""), code=code)


def _watchdog(session: Session, span: Span, now_ms: int, rules: FaultRules) -> int:
    """Repeated watchdog resets: at least N within the window (R7 "repeated watchdog resets")."""
    boots = list(session.exec(select(Event).where(
        Event.type == "boot", col(Event.at_ms) >= span.start_ms - rules.watchdog_window_ms,
        col(Event.at_ms) < span.end_ms).order_by(col(Event.device_id), col(Event.at_ms))).all())
    by_device: dict[str, list[Event]] = defaultdict(list)
    for b in boots:
        if b.body.get("reset_cause") == "watchdog":
            by_device[b.device_id].append(b)
    opened = 0
    for device_id, resets in by_device.items():
        done = _linked_events(session, [r.id for r in resets if r.id is not None])
        lo = 0
        for hi, r in enumerate(resets):
            while r.at_ms - resets[lo].at_ms > rules.watchdog_window_ms:
                lo += 1
            burst = resets[lo:hi + 1]
            if len(burst) < rules.watchdog_count:
                continue
            fresh = [b for b in burst if b.id not in done]
            if not fresh:
                continue
            fault: Fault | None = None
            for b in fresh:
                fault, new = open_fault(
                    session, source="pad", code=WATCHDOG_RESETS, at_ms=b.at_ms, now_ms=now_ms,
                    device_id=device_id, window_id=b.window_id, event_id=b.id,
                    detail=f"{rules.watchdog_window_ms // 60000} 分钟内看门狗复位 {len(burst)} 次")
                opened += new
                done.add(b.id)  # type: ignore[arg-type]
            if fault is not None:
                fault.started_ms = min(fault.started_ms, burst[0].at_ms)
                session.add(fault)
            session.commit()
    return opened


def _fleet_size(session: Session, span: Span) -> int:
    """Pads on a window during ``span``: the center's fleet for the outage threshold."""
    rows = session.exec(select(Assignment.device_id).where(
        col(Assignment.start_ms) < span.end_ms,
        (col(Assignment.end_ms).is_(None)) | (col(Assignment.end_ms) > span.start_ms))).all()
    retired = set(session.exec(select(Device.id).where(col(Device.retired_ms).is_not(None),
                                                        col(Device.retired_ms) <= span.start_ms)).all())
    return len(set(rows) - retired)


def detect_outages(session: Session, span: Span, *, now_ms: int,
                   rules: FaultRules | None = None) -> list[Fault]:
    """Mass outages whose first drop lies in ``span``, each one network fault (R7); commits."""
    rules = rules or FaultRules()
    look = Span(span.start_ms - rules.outages.cluster_ms, span.end_ms)
    rows = list(session.exec(select(PowerInterval).where(
        PowerInterval.state == "off", col(PowerInterval.start_ms) >= look.start_ms,
        col(PowerInterval.start_ms) < look.end_ms)).all())
    offs = [OffInterval(r.device_id, r.start_ms, r.end_ms, r.cause, r.id) for r in rows]
    out: list[Fault] = []
    for o in find_outages(offs, _fleet_size(session, span), rules.outages):
        if not span.start_ms <= o.start_ms < span.end_ms:
            continue
        row = session.exec(select(Fault).where(Fault.key == o.key)).first()
        detail = f"{len(o.device_ids)} 台评价器同时离线：{'、'.join(o.device_ids)}"
        if row is None:
            row = Fault(source="host", code=NETWORK_OUTAGE, key=o.key, detail=detail,
                        devices=list(o.device_ids),
                        started_ms=o.start_ms, cleared_ms=o.end_ms, last_seen_ms=o.start_ms, opened_ms=now_ms)
            session.add(row)
            session.flush()
            audit.record(session, at_ms=now_ms, actor=SYSTEM, action="fault.open", subject=f"fault:{row.id}",
                         reason=detail, code=NETWORK_OUTAGE, devices=list(o.device_ids))
            log.warning("mass outage from %s: %s", o.start_ms, detail)
        else:
            row.devices = sorted(set(row.devices) | set(o.device_ids))
            row.detail = f"{len(row.devices)} 台评价器同时离线：{'、'.join(row.devices)}"
            if o.end_ms is not None and row.status != "resolved":
                row.cleared_ms = o.end_ms
            session.add(row)
        linked = _linked_intervals(session, list(o.record_ids))
        assert row.id is not None
        for rid in o.record_ids:
            if rid not in linked:
                session.add(FaultEvidence(fault_id=row.id, interval_id=rid))
        session.commit()
        out.append(row)
    return out


def detect_silent(session: Session, working: Mapping[int, Sequence[Span]], *, now_ms: int,
                  rules: FaultRules | None = None) -> int:
    """Pads silent in their window's working hours (``working``: window id -> spans); commits.

    An off interval already part of a mass outage is the network's, not the pad's.
    Returns how many faults were opened.
    """
    rules = rules or FaultRules()
    opened = 0
    for window_id, spans in working.items():
        for s in spans:
            rows = session.exec(select(PowerInterval).join(
                Assignment, col(Assignment.device_id) == col(PowerInterval.device_id)).where(
                Assignment.window_id == window_id, PowerInterval.state == "off",
                col(PowerInterval.start_ms) < s.end_ms,
                (col(PowerInterval.end_ms).is_(None)) | (col(PowerInterval.end_ms) > s.start_ms),
                col(Assignment.start_ms) <= col(PowerInterval.start_ms),
                (col(Assignment.end_ms).is_(None)) | (col(Assignment.end_ms) > col(PowerInterval.start_ms))
            )).all()
            fresh = [r for r in rows if r.cause not in rules.outages.ignored_causes]   # a person's act
            done = _linked_intervals(session, [r.id for r in fresh if r.id is not None])
            for r in fresh:
                end = r.end_ms if r.end_ms is not None else now_ms
                inside = Span(r.start_ms, end).overlap_ms(s)
                if r.id in done or inside < rules.silent_ms:
                    continue
                row, new = open_fault(session, source="host", code=SILENT, at_ms=max(r.start_ms, s.start_ms),
                                      now_ms=now_ms, device_id=r.device_id,
                                      window_id=window_of(session, r.device_id, r.start_ms) or window_id,
                                      detail=f"工作时间内 {inside // 60000} 分钟无信号",
                                      interval_id=r.id)
                if r.end_ms is not None:
                    row.cleared_ms = r.end_ms
                    session.add(row)
                done.add(r.id)  # type: ignore[arg-type]
                opened += new
            session.commit()
    return opened

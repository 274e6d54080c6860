"""A flood of evaluations from one pad, flagged to IT and the management section within a minute.

A pad's credentials used by a script ("hundreds of evaluations a minute") produce events
the contract accepts: they are stored like any other (nothing a pad sent is dropped, R12).
``FloodWatch`` (a thread beside the ingest, every ``CHECK_EVERY_S``) reads the evaluations
stored since its last look (by id: a cheap range on both databases) and, for each pad with
new ones, looks for bursts in the pad's evaluations around them (host.rules.floods). A new
burst:

- opens (or updates) the IT fault ``eval_flood`` of that pad (R7), linked to the evaluations;
- runs the R6 detection of that window over the burst at once, so the evaluations stand on
  the management section's list as candidates (连续评价, or 自我评价 outside working hours)
  without waiting for the next sweep; the open flood itself is shown above that list.

Only a person's confirmation voids an evaluation (R2, R6). The ingest is not slowed: the
watch reads a few rows per pad and writes only when it flags.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from host.clock import Clock, local
from host.faults.log import RESOLVED, open_fault
from host.models.events import Event
from host.models.faults import Fault, FaultEvidence
from host.periodic import Periodic
from host.rules.floods import DEFAULT_EVALS_PER_MINUTE, WINDOW_MS, bursts
from host.rules.month_span import month_of
from host.rules.types import Span
from host.violations.detect import detect_month

log = logging.getLogger(__name__)

EVAL_FLOOD = "eval_flood"
# Looked at this often: a flood is on both lists within this plus one check (well under a
# minute), and a check reads only what was stored since the last one.
CHECK_EVERY_S = 10.0
FLOOD_TEXT = ("评价过多：1 分钟内 {threshold} 次以上评价，不是群众在按键。"
              "疑似有人用该评价器的账号以脚本刷评，或按键故障。"
              "请核查评价器，必要时在“信息技术科 · 评价器”重置其代理密码。"
              "这些评价已列入管理科的违规线索（连续评价），确认后作废。")


@dataclass(frozen=True, slots=True)
class Flood:
    device_id: str
    window_id: int | None
    start_ms: int
    end_ms: int
    evaluations: int          # in the burst, up to now
    fault_id: int
    opened: bool              # a new fault (else the open one was updated)
    candidates_added: int


def last_event_id(session: Session) -> int:
    return int(session.scalar(sa_select(func.max(Event.id))) or 0)


def check(session: Session, *, after_id: int, now_ms: int,
          threshold: int = DEFAULT_EVALS_PER_MINUTE) -> tuple[int, list[Flood]]:
    """Flag bursts among evaluations stored after ``after_id``; returns the id to look after
    next time and what was flagged. Commits. (An id committed out of order on PostgreSQL can
    be missed; a flood goes on, and its next evaluations are seen.)"""
    new = session.execute(sa_select(col(Event.id), col(Event.device_id), col(Event.at_ms)).where(
        col(Event.id) > after_id, col(Event.type) == "eval").order_by(col(Event.id))).all()
    if not new:
        return after_id, []
    times: dict[str, list[int]] = {}
    for _, dev, at in new:
        times.setdefault(dev, []).append(at)
    floods = []
    for dev, ats in sorted(times.items()):
        rows = session.execute(sa_select(col(Event.id), col(Event.at_ms), col(Event.window_id)).where(
            col(Event.device_id) == dev, col(Event.type) == "eval", col(Event.at_ms) >= min(ats) - WINDOW_MS,
            col(Event.at_ms) <= max(ats) + WINDOW_MS).order_by(col(Event.at_ms), col(Event.id))).all()
        for first, last in bursts([r.at_ms for r in rows], threshold):
            flood = _flag(session, dev, rows[first:last + 1], now_ms, threshold)
            if flood is not None:
                floods.append(flood)
    return int(new[-1][0]), floods


def _flag(session: Session, dev: str, burst: Sequence[Any], now_ms: int, threshold: int) -> Flood | None:
    ids = [int(r.id) for r in burst]
    linked = set(session.exec(select(FaultEvidence.event_id).where(
        col(FaultEvidence.event_id).in_(ids))).all())
    fresh = [i for i in ids if i not in linked]
    if not fresh:
        return None
    window_id = Counter(r.window_id for r in burst).most_common(1)[0][0]
    start, end = burst[0].at_ms, burst[-1].at_ms
    fault, opened = open_fault(session, source="host", code=EVAL_FLOOD, at_ms=start, now_ms=now_ms,
                               device_id=dev, window_id=window_id,
                               detail=FLOOD_TEXT.format(threshold=threshold))
    assert fault.id is not None
    session.add_all([FaultEvidence(fault_id=fault.id, event_id=i) for i in fresh])
    fault.last_seen_ms = max(fault.last_seen_ms, end)
    session.add(fault)
    session.commit()
    total = int(session.scalar(sa_select(func.count()).select_from(FaultEvidence).where(
        col(FaultEvidence.fault_id) == fault.id)) or 0)
    log.warning("pad %s: %s evaluations from %s to %s (%s or more within a minute); IT fault %s %s",
                dev, total, local(start).strftime("%H:%M:%S"), local(end).strftime("%H:%M:%S"), threshold,
                fault.id, "opened" if opened else "updated")
    added = 0
    if window_id is not None:
        for month in sorted({month_of(start), month_of(end)}):
            done = detect_month(session, month, now_ms=now_ms, window_ids=[window_id],
                                within=Span(start, end + 1))
            added += sum(r.added for r in done.results.values())
    return Flood(dev, window_id, start, end, total, fault.id, opened, added)


def open_floods(session: Session) -> list[Fault]:
    """Floods IT has not resolved yet, newest first (shown to the management section too)."""
    return list(session.exec(select(Fault).where(col(Fault.code) == EVAL_FLOOD, col(Fault.status) != RESOLVED)
                             .order_by(col(Fault.started_ms).desc())).all())


class FloodWatch(Periodic):
    """Runs ``check`` every ``every_s`` seconds on a daemon thread until ``stop``."""

    name = "flood-watch"

    def __init__(self, engine: Engine, clock: Clock, threshold: int = DEFAULT_EVALS_PER_MINUTE,
                 every_s: float = CHECK_EVERY_S) -> None:
        super().__init__(every_s)
        self.engine = engine
        self.clock = clock
        self.threshold = threshold
        self.flagged: list[Flood] = []
        self._after: int | None = None

    def run_once(self) -> list[Flood]:
        with Session(self.engine) as session:
            if self._after is None:           # from now on: older evaluations are the sweep's
                self._after = last_event_id(session)
                return []
            self._after, found = check(session, after_id=self._after, now_ms=self.clock.now_ms(),
                                       threshold=self.threshold)
        self.flagged += found
        return found

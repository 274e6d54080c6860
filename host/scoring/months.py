"""Month close and reopen (R11) with the audit trail (R12), and the closed report snapshot.

Closing stores the report as computed at that moment: what is fed back to each window
(次月反馈). Events that arrive later for that month are stored by the ingest and listed as
late on the report; they change it only after a reopen (logged) and a new close.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from host.audit import record
from host.clock import Clock
from host.errors import Conflict
from host.models.months import MonthAction
from host.rules.month_span import month_span, parse_month
from host.scoring import serialize
from host.scoring.report import MonthView, WindowInfo, WindowResult, compute

log = logging.getLogger(__name__)

CLOSE, REOPEN = "close", "reopen"


class MonthStateError(Conflict):
    """A close or reopen that does not fit the month's state; the message says what to do."""


def newest_action(session: Session, month: str) -> MonthAction | None:
    return session.exec(select(MonthAction).where(MonthAction.month == month)
                        .order_by(col(MonthAction.at_ms).desc(), col(MonthAction.id).desc())).first()


def closed_action(session: Session, month: str) -> MonthAction | None:
    """The close in force for ``month`` (None: the month is open)."""
    newest = newest_action(session, month)
    return newest if newest is not None and newest.action == CLOSE else None


def history(session: Session, month: str) -> list[MonthAction]:
    return list(session.exec(select(MonthAction).where(MonthAction.month == month)
                             .order_by(col(MonthAction.at_ms), col(MonthAction.id))).all())


def view_json(view: MonthView) -> dict[str, Any]:
    return {
        "month": view.month, "status": view.status, "computed_ms": view.computed_ms,
        "until_ms": view.until_ms,
        "assumptions": list(view.assumptions), "closed": view.closed, "late_events": list(view.late_events),
        "late_corrections": list(view.late_corrections),
        "windows": [{
            "window": asdict(r.window), "rank": r.rank, "pads": list(r.pads), "notes": list(r.notes),
            "closed_days": [d.isoformat() for d in r.closed_days],
            "score": serialize.score_json(r.score),
            "closures": [serialize.closure_json(c) for c in r.closures]} for r in view.results],
    }


def view_from_snapshot(action: MonthAction) -> MonthView:
    snap = action.snapshot or {}
    results = tuple(WindowResult(
        window=WindowInfo(**w["window"]), score=serialize.score_from(w["score"]),
        closures=tuple(serialize.closure_from(c) for c in w["closures"]), pads=tuple(w["pads"]),
        closed_days=tuple(date.fromisoformat(d) for d in w["closed_days"]), notes=tuple(w["notes"]),
        rank=w["rank"]) for w in snap.get("windows", []))
    return MonthView(month=action.month, status="closed", computed_ms=snap.get("computed_ms", action.at_ms),
                     until_ms=snap.get("until_ms", action.at_ms), results=results,
                     assumptions=tuple(snap.get("assumptions", ())),
                     closed={"by": action.by, "at_ms": action.at_ms, "reason": action.reason})


def close_month(session: Session, month: str, clock: Clock, *, by: str, reason: str) -> MonthAction:
    """Close ``month`` (R11): store the report as it stands and log who, when, why; commits."""
    parse_month(month)
    if not by.strip():
        raise MonthStateError("closing a month needs who closes it (--by) (R12)")
    now = clock.now_ms()
    if now < month_span(month).end_ms:
        raise MonthStateError(f"month {month} has not ended yet: close it after its last day (R11)")
    if closed_action(session, month) is not None:
        raise MonthStateError(f"month {month} is already closed; reopen it first to close it again")
    view = compute(session, month, clock)
    snapshot = {"version": serialize.SNAPSHOT_VERSION, **view_json(view)}
    action = MonthAction(month=month, action=CLOSE, at_ms=now, by=by, reason=reason, snapshot=snapshot)
    session.add(action)
    record(session, at_ms=now, actor=by, action="month.close", subject=month, reason=reason,
           windows=len(view.results), rated=sum(1 for r in view.results if r.score.rated))
    session.commit()
    session.refresh(action)
    log.info("month %s closed by %s (%d windows)", month, by, len(view.results))
    return action


def reopen_month(session: Session, month: str, clock: Clock, *, by: str, reason: str) -> MonthAction:
    """Reopen a closed month (R11): late events and new decisions count again; logged with why; commits."""
    parse_month(month)
    if not by.strip() or not reason.strip():
        raise MonthStateError("reopening a month needs who (--by) and why (--reason) (R11, R12)")
    if closed_action(session, month) is None:
        raise MonthStateError(f"month {month} is not closed: nothing to reopen")
    now = clock.now_ms()
    action = MonthAction(month=month, action=REOPEN, at_ms=now, by=by, reason=reason)
    session.add(action)
    record(session, at_ms=now, actor=by, action="month.reopen", subject=month, reason=reason)
    session.commit()
    session.refresh(action)
    log.info("month %s reopened by %s: %s", month, by, reason)
    return action

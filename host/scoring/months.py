"""The month as the report shows it (``month_view``), and its close and reopen (R11) with the
audit trail (R12).

Closing stores the report as computed at that moment: what is fed back to each window
(次月反馈). Events that arrive later for that month are stored by the ingest and listed as
late on the report; they change it only after a reopen (logged) and a new close.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import replace
from typing import Any

from sqlmodel import Session, col, select

from host.audit import record
from host.clock import Clock, local
from host.errors import Conflict
from host.models.events import Event
from host.models.months import MonthAction
from host.rules.month_span import month_span, parse_month
from host.rules.types import MonthScore
from host.scoring import facts, serialize
from host.scoring.report import compute
from host.scoring.view import MonthView, view_from_snapshot, view_json

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


def month_view(session: Session, month: str, clock: Clock,
               window_ids: Collection[int] | None = None) -> MonthView:
    """The month as the report shows it: the closed snapshot if closed (R11), else computed now."""
    closed = closed_action(session, month)
    if closed is None:
        return compute(session, month, clock, window_ids)
    view = view_from_snapshot(closed)
    if window_ids is not None:
        view = replace(view, results=tuple(r for r in view.results if r.window.id in set(window_ids)))
    span = month_span(month)
    late = facts.late_events(session, span, closed.at_ms, window_ids)
    corrections = facts.late_corrections(session, month, span, closed.at_ms, window_ids)
    return replace(view, late_events=tuple(_late(e) for e in late), late_corrections=tuple(corrections))


def _late(e: Event) -> dict[str, Any]:
    return {"id": e.id, "device_id": e.device_id, "seq": e.seq, "type": e.type, "at_ms": e.at_ms,
            "received_ms": e.received_ms, "window_id": e.window_id, "at_local": local(e.at_ms).isoformat(),
            "rating": e.rating}


def month_report(session: Session, month: str, clock: Clock) -> list[MonthScore]:
    """Every active window's MonthScore for ``month`` (closed: as fed back, R11)."""
    return [r.score for r in month_view(session, month, clock).results]


def close_month(session: Session, month: str, clock: Clock, *, by: str, reason: str) -> MonthAction:
    """Close ``month`` (R11): store the report as it stands and log who, when, why; commits."""
    parse_month(month)
    if not by.strip():
        raise MonthStateError("关账必须写明关账人（--by）（R12）", "补上 --by 姓名 后再关账")
    now = clock.now_ms()
    if now < month_span(month).end_ms:
        raise MonthStateError(f"{month} 还没有结束", "请在该月最后一天之后再关账（R11）")
    if closed_action(session, month) is not None:
        raise MonthStateError(f"{month} 已关账", "如需重新关账，请先重新打开该月")
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
        raise MonthStateError("重新打开月份必须写明操作人（--by）和原因（--reason）（R11、R12）",
                              "补上 --by 和 --reason 后再提交")
    if closed_action(session, month) is None:
        raise MonthStateError(f"{month} 没有关账", "无需重新打开")
    now = clock.now_ms()
    action = MonthAction(month=month, action=REOPEN, at_ms=now, by=by, reason=reason)
    session.add(action)
    record(session, at_ms=now, actor=by, action="month.reopen", subject=month, reason=reason)
    session.commit()
    session.refresh(action)
    log.info("month %s reopened by %s: %s", month, by, reason)
    return action

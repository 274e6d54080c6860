"""Live alerts (issue 16): a bad review, or a burst of unsatisfied ratings at one window
(host.rules.goodbad.BurstRule, configurable; default >= 50 % of >= 4 ratings within 15 minutes).

One alert per burst, not per press: a press that falls within ``rule.window_ms`` of a window's
alert is folded into it (``presses``, ``event_ids``); a burst opens its own alert once, when the
condition first holds. Idempotent: a press already in an alert is never counted again.
The alerts show on the hall board and the management page, and go to the webhook
(host.goodbad.webhook) when one is configured.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlmodel import Session, col, select

from host.audit import record
from host.errors import NotFound
from host.models.events import Event
from host.models.goodbad import Alert
from host.rules.goodbad import BurstRule, in_burst, is_bad_review

log = logging.getLogger(__name__)

BAD_REVIEW, BURST = "bad_review", "burst"
SYSTEM = "system"
# Presses older than this when first seen (a pad that was offline for hours) alert no one:
# they are stale; their cases still open (host.goodbad.cases).
LIVE_MS = 3_600_000
RECENT_MS = 24 * 3_600_000  # what the board and the management page show


def detect(session: Session, rule: BurstRule, pressed: Iterable[tuple[int | None, int]],
           now_ms: int) -> list[Alert]:
    """Alerts for the evaluations just stored, given as (window id, pressed at); returns the new
    alerts. Commits."""
    since: dict[int, int] = {}
    for wid, at in pressed:
        if wid is not None and at >= now_ms - LIVE_MS:
            since[wid] = min(at, since.get(wid, at))
    created: list[Alert] = []
    for wid, at in sorted(since.items()):
        created += _window(session, rule, wid, at, now_ms)
    session.commit()
    for a in created:  # readable after the session closes (the watch hands them on)
        session.refresh(a)
    return created


def _window(session: Session, rule: BurstRule, wid: int, since_ms: int, now_ms: int) -> list[Alert]:
    rows = list(
        session.exec(
            select(Event)
            .where(
                Event.window_id == wid, Event.type == "eval", col(Event.at_ms) >= since_ms - rule.window_ms
            )
            .order_by(col(Event.at_ms), col(Event.id))
        ).all()
    )
    alerts = list(
        session.exec(
            select(Alert)
            .where(Alert.window_id == wid, col(Alert.last_ms) >= since_ms - 2 * rule.window_ms)
            .order_by(col(Alert.first_ms), col(Alert.id))
        ).all()
    )
    seen = {i for a in alerts for i in a.event_ids}
    hot = in_burst([(e.at_ms, e.rating == "unsatisfied") for e in rows], rule)
    created: list[Alert] = []
    for e, is_hot in zip(rows, hot, strict=True):
        bad = is_bad_review(e.rating, e.level)
        if e.at_ms < since_ms or e.id in seen or not (bad or is_hot):
            continue
        assert e.id is not None
        n, u = _counts(rows, e.at_ms, rule.window_ms)
        running = _near(alerts, e.at_ms, rule.window_ms, BURST if is_hot else None)
        if running is None:
            kind = BURST if is_hot else BAD_REVIEW
            alert = Alert(
                key=f"{'burst' if is_hot else 'bad'}:{wid}:{e.id}",
                kind=kind,
                window_id=wid,
                first_ms=e.at_ms,
                last_ms=e.at_ms,
                presses=1,
                unsatisfied=u,
                ratings=n,
                event_ids=[e.id],
                created_ms=now_ms,
            )
            created.append(_add(session, alert))
            alerts.append(alert)
        else:
            running.presses += 1
            running.last_ms = max(running.last_ms, e.at_ms)
            running.event_ids = [*running.event_ids, e.id]
            if running.kind == BURST:
                running.unsatisfied, running.ratings = max(running.unsatisfied, u), max(running.ratings, n)
            session.add(running)
        seen.add(e.id)
    return created


def _counts(rows: list[Event], at_ms: int, window_ms: int) -> tuple[int, int]:
    inside = [r for r in rows if at_ms - window_ms < r.at_ms <= at_ms]
    return len(inside), sum(1 for r in inside if r.rating == "unsatisfied")


def _near(alerts: list[Alert], at_ms: int, window_ms: int, kind: str | None) -> Alert | None:
    """The window's newest alert (of ``kind``, or any) still running at ``at_ms``: its last press
    less than ``window_ms`` before. A burst takes in bad reviews; a bad-review alert does not
    take in a burst."""
    for a in reversed(alerts):
        if (kind is None or a.kind == kind) and a.first_ms <= at_ms and at_ms - a.last_ms < window_ms:
            return a
    return None


def _add(session: Session, alert: Alert) -> Alert:
    session.add(alert)
    session.flush()
    record(
        session,
        at_ms=alert.created_ms,
        actor=SYSTEM,
        action=f"alert.{alert.kind}",
        subject=str(alert.id),
        window_id=alert.window_id,
        first_ms=alert.first_ms,
        ratings=alert.ratings,
        unsatisfied=alert.unsatisfied,
    )
    log.info(   # a citizen's verdict, not a fault of the host: people see it on the pages
        "alert %s at window %s (%s of %s ratings unsatisfied)",
        alert.kind,
        alert.window_id,
        alert.unsatisfied,
        alert.ratings,
    )
    return alert


def recent(
    session: Session,
    now_ms: int,
    window_ms: int = RECENT_MS,
    *,
    unacknowledged: bool = False,
    limit: int = 50,
) -> list[Alert]:
    q = select(Alert).where(col(Alert.last_ms) >= now_ms - window_ms)
    if unacknowledged:
        q = q.where(col(Alert.acknowledged_ms).is_(None))
    return list(session.exec(q.order_by(col(Alert.last_ms).desc()).limit(limit)).all())


def acknowledge(session: Session, alert_id: int, *, by: str, now_ms: int) -> Alert:
    """The management section saw the alert and is on it (audited); commits."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"没有编号为 {alert_id} 的提醒", "请从提醒列表中选择")
    if alert.acknowledged_ms is None:
        alert.acknowledged_ms, alert.acknowledged_by = now_ms, by
        session.add(alert)
        record(session, at_ms=now_ms, actor=by, action="alert.acknowledge", subject=str(alert_id))
        session.commit()
    return alert


def mark_sent(
    session: Session, alert_id: int, *, ok: bool, attempts: int, error: str | None, now_ms: int
) -> None:
    """The webhook's outcome for one alert; commits."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        return
    alert.attempts = attempts
    alert.last_error = None if ok else (error or "")[:256]
    if ok:
        alert.sent_ms = now_ms
    session.add(alert)
    session.commit()

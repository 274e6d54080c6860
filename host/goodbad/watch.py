"""The live side of 好差评: every few seconds, the evaluations and reasons stored since the last
look open their bad-review cases (host.goodbad.cases) and raise alerts (host.goodbad.alerts),
which go to the webhook (host.goodbad.webhook) when one is configured.

Like the flood watch it reads by event id (a cheap range on both databases) and writes only when
it finds something; the review sweep opens any case this missed (host.faults.sweep).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from host.calendar.config import load_config
from host.clock import Clock
from host.goodbad import alerts, cases
from host.goodbad.webhook import Outcome, Webhook
from host.models.events import Event
from host.models.fleet import Window
from host.models.goodbad import Alert
from host.periodic import Periodic

log = logging.getLogger(__name__)

CHECK_EVERY_S = 5.0  # an alert is on the board and sent within this plus one look


def check(session: Session, *, after_id: int, now_ms: int) -> tuple[int, list[Alert], int]:
    """Cases and alerts for events stored after ``after_id``: (next id, new alerts, cases opened). Commits."""
    new = list(
        session.exec(
            select(Event)
            .where(col(Event.id) > after_id, col(Event.type).in_([cases.EVAL, cases.REASON]))
            .order_by(col(Event.id))
        ).all()
    )
    if not new:
        return after_id, [], 0
    config = load_config(session)
    # What the alerts need, read before the commit expires the rows (no reload per event).
    pressed = [(e.window_id, e.at_ms) for e in new if e.type == cases.EVAL and e.window_id is not None]
    next_id = int(new[-1].id or after_id)
    opened = cases.open_cases(session, config, new, now_ms)
    cases.attach_reasons(session, [e for e in new if e.type == cases.REASON], now_ms, opened)
    session.commit()
    found = alerts.detect(session, config.burst, pressed, now_ms)
    return next_id, found, len(opened)


def payload(session: Session, alert: Alert) -> dict[str, Any]:
    """What the webhook receives (docs/platform-export.md, "Alerts")."""
    w = session.get(Window, alert.window_id)
    text = (
        f"窗口 {w.number if w else alert.window_id} 收到差评"
        if alert.kind == alerts.BAD_REVIEW
        else f"窗口 {w.number if w else alert.window_id} 集中出现不满意评价："
        f"{alert.ratings} 次评价中 {alert.unsatisfied} 次不满意"
    )
    return {
        "id": alert.id,
        "kind": alert.kind,
        "window": w.number if w else None,
        "window_name": w.name if w else None,
        "department": w.department if w else None,
        "first_ms": alert.first_ms,
        "last_ms": alert.last_ms,
        "ratings": alert.ratings,
        "unsatisfied": alert.unsatisfied,
        "event_ids": list(alert.event_ids),
        "text": text,
    }


def last_event_id(session: Session) -> int:
    return int(session.scalar(sa_select(func.max(Event.id))) or 0)


class GoodBadWatch(Periodic):
    """Runs ``check`` every ``every_s`` seconds on a daemon thread until ``stop``; hands new alerts
    to ``webhook`` (optional) and records its outcome."""

    name = "goodbad-watch"

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        every_s: float = CHECK_EVERY_S,
        webhook: Webhook | None = None,
    ) -> None:
        super().__init__(every_s)
        self.engine = engine
        self.clock = clock
        self.webhook = webhook or (
            Webhook(webhook_url, webhook_secret or "", clock.now_ms, self._record) if webhook_url else None
        )
        self.raised: list[int] = []
        self._after: int | None = None

    def _record(self, outcome: Outcome) -> None:
        with Session(self.engine) as session:
            alerts.mark_sent(
                session,
                outcome.alert_id,
                ok=outcome.ok,
                attempts=outcome.attempts,
                error=outcome.error,
                now_ms=self.clock.now_ms(),
            )

    def run_once(self) -> list[Alert]:
        with Session(self.engine) as session:
            if self._after is None:  # from now on: older events are the sweep's
                self._after = last_event_id(session)
                return []
            self._after, found, _ = check(session, after_id=self._after, now_ms=self.clock.now_ms())
            bodies = [payload(session, a) for a in found]
        self.raised += [a.id for a in found if a.id is not None]
        if self.webhook is not None:
            for body in bodies:
                self.webhook.submit(body)
        return found


    def start(self) -> None:
        if self.webhook is not None:
            self.webhook.start()
        super().start()

    def stop(self, timeout_s: float = 30.0) -> None:
        super().stop(timeout_s)
        if self.webhook is not None:
            self.webhook.stop()

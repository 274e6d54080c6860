"""好差评 (issue 16): bad-review cases (差评工单) and their steps, the month's national rates,
live alerts, and the evaluations for the provincial platform.

Staff read and rectify their own window's cases only; 回访 and closure are the management
section's (host.auth.policy). Every step is audited by the service (R12).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from host import fleet
from host.api.deps import ClockDep, SessionDep, require
from host.api.params import DayQuery, Id, Month, MonthQuery
from host.api.routes.review_common import Reviewer, ReviewReader, window_id
from host.auth import policy
from host.auth.roles import Principal, Role
from host.clock import Clock, local
from host.exports import platform
from host.goodbad import alerts, cases
from host.models.goodbad import Alert, BadReview
from host.rules.goodbad import NationalStats, percent
from host.rules.month_span import month_span
from host.scoring import serialize
from host.scoring.national import month_national

router = APIRouter(tags=["好差评 (issue 16)"])
Rectifier = Annotated[Principal, Depends(require(*policy.RECTIFY))]
AlertReader = Annotated[Principal, Depends(require(*policy.ALERTS))]
Exporter = Annotated[Principal, Depends(require(*policy.MONTH_SCORES_ALL_WINDOWS))]


class StepIn(BaseModel):
    text: str = Field(
        min_length=1,
        max_length=cases.MAX_TEXT,
        description="回访: what the citizen said; 整改: what was changed; a note; the closing note",
    )


def case_json(c: BadReview, numbers: dict[int, str], now_ms: int) -> dict[str, Any]:
    late = cases.lateness(c, local(now_ms).date())
    return {
        "id": c.id,
        "event_id": c.event_id,
        "window": numbers.get(c.window_id, str(c.window_id)),
        "department": c.department,
        "device_id": c.device_id,
        "at_ms": c.at_ms,
        "rating": c.rating,
        "level": c.level,
        "case_no": c.case_no,
        "item": c.item,
        "reasons": list(c.reasons),
        "evidence": list(c.evidence),
        "status": c.status,
        "opened_ms": c.opened_ms,
        "callback_due": c.callback_due.isoformat() if c.callback_due else None,
        "rectify_due": c.rectify_due.isoformat() if c.rectify_due else None,
        "callback": {
            "at_ms": c.callback_ms,
            "by": c.callback_by,
            "outcome": c.callback_outcome,
            "late": late.callback,
        },
        "rectify": {
            "at_ms": c.rectify_ms,
            "by": c.rectify_by,
            "action": c.rectify_action,
            "late": late.rectify,
        },
        "closed": {"at_ms": c.closed_ms, "by": c.closed_by, "note": c.close_note},
    }


def one_case_json(session: Session, clock: Clock, c: BadReview) -> dict[str, Any]:
    """One case as every route answers it: with the window numbers and lateness as of now."""
    return case_json(c, fleet.window_numbers(session), clock.now_ms())


def _case(session: SessionDep, case_id: int, who: Principal) -> BadReview:
    c = cases.get_case(session, case_id)
    who.check_window(c.window_id)
    return c


@router.get("/badreviews")
def list_cases(
    who: ReviewReader,
    session: SessionDep,
    clock: ClockDep,
    month: MonthQuery = None,
    window: str | None = None,
    status: str | None = None,
    overdue: bool = False,
) -> list[dict[str, Any]]:
    """Bad-review cases, newest first: of a month, a window, a status; ``overdue``: past a deadline."""
    wid = window_id(session, window, who)
    now = clock.now_ms()
    if overdue:
        rows = cases.overdue_cases(session, now, wid)
    else:
        span = month_span(month) if month else None
        rows = cases.list_cases(
            session,
            window_id=wid,
            status=status,
            since_ms=span.start_ms if span else None,
            until_ms=span.end_ms if span else None,
        )
    numbers = fleet.window_numbers(session)
    return [case_json(c, numbers, now) for c in rows]


@router.get("/badreviews/{case_id}")
def get_case(case_id: Id, who: ReviewReader, session: SessionDep, clock: ClockDep) -> dict[str, Any]:
    return one_case_json(session, clock, _case(session, case_id, who))


@router.post("/badreviews/{case_id}/callback")
def call_back(
    case_id: Id, body: StepIn, who: Reviewer, session: SessionDep, clock: ClockDep
) -> dict[str, Any]:
    """回访: the citizen was called back (the management section)."""
    c = cases.call_back(session, clock, case_id, outcome=body.text, by=who.actor)
    return one_case_json(session, clock, c)


@router.post("/badreviews/{case_id}/rectify")
def rectify(
    case_id: Id, body: StepIn, who: Rectifier, session: SessionDep, clock: ClockDep
) -> dict[str, Any]:
    """整改: what the window's department changed (staff: their own window)."""
    _case(session, case_id, who)
    c = cases.rectify(session, clock, case_id, action=body.text, by=who.actor)
    return one_case_json(session, clock, c)


@router.post("/badreviews/{case_id}/evidence")
def add_evidence(
    case_id: Id, body: StepIn, who: Rectifier, session: SessionDep, clock: ClockDep
) -> dict[str, Any]:
    """A note on the case (a complaint record, what the staff said)."""
    _case(session, case_id, who)
    c = cases.add_evidence(session, clock, case_id, text=body.text, by=who.actor)
    return one_case_json(session, clock, c)


@router.post("/badreviews/{case_id}/close")
def close(case_id: Id, body: StepIn, who: Reviewer, session: SessionDep, clock: ClockDep) -> dict[str, Any]:
    """结案 by the management section, once called back and rectified."""
    c = cases.close_case(session, clock, case_id, note=body.text, by=who.actor)
    return one_case_json(session, clock, c)


def stats_json(s: NationalStats) -> dict[str, Any]:
    c = s.counts
    return {
        "evaluations": c.evaluations,
        "satisfied": c.satisfied,
        "bad": c.bad,
        "called_back": c.called_back,
        "rectified": c.rectified,
        "callback_late": c.callback_late,
        "rectify_late": c.rectify_late,
        "overdue": c.overdue,
        **{
            k: {"exact": serialize.frac(v), "shown": percent(v)}
            for k, v in (
                ("satisfaction_rate", s.satisfaction_rate),
                ("bad_rate", s.bad_rate),
                ("callback_rate", s.callback_rate),
                ("rectify_rate", s.rectify_rate),
            )
        },
    }


@router.get("/badreviews/stats/{month}")
def stats(month: Month, who: ReviewReader, session: SessionDep, clock: ClockDep) -> dict[str, Any]:
    """The month's 满意率, 差评率, 回访率, 整改率 per window and for the center (staff: their window)."""
    nat = month_national(session, month, clock.now_ms())
    numbers = fleet.window_numbers(session)
    staff = who.role is Role.STAFF
    return {
        "month": month,
        "center": None if staff else stats_json(nat.center),
        "windows": {
            numbers.get(w, str(w)): stats_json(s)
            for w, s in sorted(nat.windows.items())
            if not staff or w == who.window_id
        },
    }


def alert_json(a: Alert, numbers: dict[int, str]) -> dict[str, Any]:
    return {
        "id": a.id,
        "kind": a.kind,
        "window": numbers.get(a.window_id, str(a.window_id)),
        "first_ms": a.first_ms,
        "last_ms": a.last_ms,
        "presses": a.presses,
        "ratings": a.ratings,
        "unsatisfied": a.unsatisfied,
        "event_ids": list(a.event_ids),
        "sent_ms": a.sent_ms,
        "attempts": a.attempts,
        "acknowledged_ms": a.acknowledged_ms,
        "acknowledged_by": a.acknowledged_by,
    }


@router.get("/alerts")
def list_alerts(
    who: AlertReader,
    session: SessionDep,
    clock: ClockDep,
    hours: Annotated[int, Query(ge=1, le=24 * 31)] = 24,
) -> list[dict[str, Any]]:
    """Alerts of the last ``hours`` (bad reviews, bursts of unsatisfied ratings), newest first."""
    numbers = fleet.window_numbers(session)
    return [alert_json(a, numbers) for a in alerts.recent(session, clock.now_ms(), hours * 3_600_000)]


@router.post("/alerts/{alert_id}/ack")
def acknowledge(alert_id: Id, who: Reviewer, session: SessionDep, clock: ClockDep) -> dict[str, Any]:
    a = alerts.acknowledge(session, alert_id, by=who.actor, now_ms=clock.now_ms())
    return alert_json(a, fleet.window_numbers(session))


@router.get("/exports/platform")
def platform_export(
    who: Exporter,
    session: SessionDep,
    clock: ClockDep,
    month: MonthQuery = None,
    day: DayQuery = None,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> Response:
    """Every evaluation of a month or a day for the provincial platform (docs/platform-export.md)."""
    data, name = platform.export(session, platform.day_or_month(month, day), format, clock.now_ms())
    media = "application/json" if format == "json" else "text/csv; charset=utf-8"
    return Response(
        content=data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )

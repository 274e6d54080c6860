"""Procedural violations (R6): candidates with evidence, the management section's decisions."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field
from sqlmodel import Session

from host import fleet, violations
from host.api.deps import ClockDep, SessionDep
from host.api.download import check_format, download
from host.api.params import Id, MonthField, MonthQuery, MonthRequired
from host.api.routes.review_common import Reviewer, ReviewReader, ViolationReporter, window_id
from host.auth.roles import Role
from host.models.review import ViolationCandidate
from host.rules import violations as rules

router = APIRouter(prefix="/violations", tags=["violations (R6)"])

Kind = Literal["no_prompt", "refused", "consecutive", "self_eval", "stuck_button"]


class DecisionPublic(BaseModel):
    decision: str
    reviewer: str
    decided_ms: int
    reason: str


class CandidatePublic(BaseModel):
    id: int
    window: str
    kind: str
    kind_zh: str
    points: str = Field(description="points if confirmed, exact decimal (R6)")
    at_ms: int
    status: str
    evidence: list[int] = Field(description="event ids behind it")
    subject_event_id: int | None = Field(description="the evaluation a confirmation voids (R2), or the event")
    service_session_id: int | None
    reasons: list[str]
    detail: str
    source: str
    decisions: list[DecisionPublic] = []


class DecisionIn(BaseModel):
    reason: str = Field(min_length=1, description="why (R6, R12)")


class DetectIn(BaseModel):
    month: MonthField
    window: str | None = None


class DetectOut(BaseModel):
    windows: int
    added: int
    withdrawn: int
    warnings: list[str]


class ReportIn(BaseModel):
    window: str
    kind: Kind
    at_ms: int
    source: Literal["complaint", "patrol"]
    detail: str = Field(min_length=1)
    subject_event_id: int | None = None


def _public(session: Session, c: ViolationCandidate, numbers: dict[int, str]) -> CandidatePublic:
    assert c.id is not None
    return CandidatePublic(
        id=c.id, window=numbers.get(c.window_id, str(c.window_id)), kind=c.kind,
        kind_zh=rules.CHINESE.get(c.kind, c.kind), points=str(float(rules.POINTS[c.kind])), at_ms=c.at_ms,
        status=c.status, evidence=[int(e) for e in c.evidence], subject_event_id=c.subject_event_id,
        service_session_id=c.service_session_id, reasons=list(c.reasons), detail=c.detail, source=c.source,
        decisions=[DecisionPublic(decision=d.decision, reviewer=d.reviewer, decided_ms=d.decided_ms,
                                  reason=d.reason) for d in violations.decisions_of(session, c.id)])


@router.get("", response_model=list[CandidatePublic])
def list_candidates(who: ReviewReader, session: SessionDep, month: MonthQuery = None,
                    window: str | None = None, status: str | None = None,
                    kind: Kind | None = None) -> list[CandidatePublic]:
    """Candidates (staff: their own window's), oldest first."""
    rows = violations.list_candidates(session, window_id=window_id(session, window, who),
                                      month=month, status=status, kind=kind)
    numbers = fleet.window_numbers(session)
    return [_public(session, c, numbers) for c in rows]


@router.get("/export")
def export(who: Reviewer, session: SessionDep, clock: ClockDep, month: MonthRequired,
           format: str = "xlsx") -> Response:
    """The month's candidates and decisions, CSV or printable Excel (Chinese headers; Excel adds
    the sessions not judged for their prompt, 无法核对, when there are any)."""
    check_format(format)
    data, _ = violations.export_month(session, month, format, clock.now_ms())
    return download(data, format, f"violations-{month}")


@router.post("/detect", response_model=DetectOut)
def detect(body: DetectIn, who: Reviewer, session: SessionDep, clock: ClockDep) -> DetectOut:
    """Flag candidates for a month (all active windows, or one); safe to run again."""
    wid = window_id(session, body.window, who)
    done = violations.detect_month(session, body.month, now_ms=clock.now_ms(),
                                   window_ids=[wid] if wid is not None else None)
    return DetectOut(windows=len(done.results), added=sum(r.added for r in done.results.values()),
                     withdrawn=sum(r.withdrawn for r in done.results.values()), warnings=list(done.warnings))


@router.post("/report", response_model=CandidatePublic, status_code=status.HTTP_201_CREATED)
def report(body: ReportIn, who: ViolationReporter, session: SessionDep, clock: ClockDep) -> CandidatePublic:
    """A candidate from a complaint or patrol record (R6); it still needs a decision."""
    wid = window_id(session, body.window, who)
    assert wid is not None
    row = violations.report(session, window_id=wid, kind=body.kind, at_ms=body.at_ms, by=who.actor,
                            source=body.source, detail=body.detail, now_ms=clock.now_ms(),
                            subject_event_id=body.subject_event_id)
    return _public(session, row, fleet.window_numbers(session))


@router.get("/{candidate_id}", response_model=CandidatePublic)
def candidate(candidate_id: Id, who: ReviewReader, session: SessionDep) -> CandidatePublic:
    row = violations.get_candidate(session, candidate_id)
    if who.role is Role.STAFF:
        who.check_window(row.window_id)
    return _public(session, row, fleet.window_numbers(session))


@router.post("/{candidate_id}/confirm", response_model=CandidatePublic)
def confirm(candidate_id: Id, body: DecisionIn, who: Reviewer, session: SessionDep,
            clock: ClockDep) -> CandidatePublic:
    """Confirm: it deducts; a consecutive or self-evaluation also voids its evaluation (R2, R6)."""
    row = violations.confirm(session, candidate_id, reviewer=who.actor, reason=body.reason,
                             now_ms=clock.now_ms())
    return _public(session, row, fleet.window_numbers(session))


@router.post("/{candidate_id}/dismiss", response_model=CandidatePublic)
def dismiss(candidate_id: Id, body: DecisionIn, who: Reviewer, session: SessionDep,
            clock: ClockDep) -> CandidatePublic:
    row = violations.dismiss(session, candidate_id, reviewer=who.actor, reason=body.reason,
                             now_ms=clock.now_ms())
    return _public(session, row, fleet.window_numbers(session))

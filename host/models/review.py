"""Violation review (R6): candidates the rules flagged, and the management section's decisions.

A candidate is a fact derived from events (host.rules.violations); a decision (confirm or
dismiss) is a person's act with reviewer, time and reason (R12). ``status`` mirrors the
newest decision so lists stay cheap; the decisions table is the history.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Index, Text
from sqlmodel import Field, SQLModel


class ViolationCandidate(SQLModel, table=True):
    """One flagged R6 instance: kind, moment, evidence events, and where review stands.

    ``key`` (from host.rules.violations.Candidate.key) makes detection idempotent.
    ``subject_event_id`` is the evaluation a confirmed consecutive/self-evaluation voids.
    ``status``: open | confirmed | dismissed | withdrawn (the facts no longer support it).
    """

    __table_args__ = (Index("ix_violation_window_at", "window_id", "at_ms"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=96, unique=True)
    window_id: int = Field(foreign_key="window.id")
    kind: str = Field(max_length=16, index=True)    # no_prompt | refused | consecutive | self_eval
    at_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    subject_event_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    service_session_id: int | None = Field(default=None, foreign_key="servicesession.id")
    evidence: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))   # event ids
    reasons: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    detail: str = Field(default="", sa_column=Column(Text, nullable=False))
    source: str = Field(default="detector", max_length=16)   # detector | complaint | patrol
    reported_by: str = Field(default="system", max_length=64)
    detected_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str = Field(default="open", max_length=16, index=True)


class ViolationDecision(SQLModel, table=True):
    """A reviewer's confirm or dismiss of one candidate (R6, R12); newest wins, all are kept."""

    id: int | None = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="violationcandidate.id", index=True)
    decision: str = Field(max_length=16)            # confirm | dismiss
    reviewer: str = Field(max_length=64)
    decided_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))

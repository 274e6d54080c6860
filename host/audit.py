"""Write the audit trail (R12): every change is kept with who, when and why."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from host.models.audit import AuditEntry

MAX_REASON = 2000   # a paragraph; longer text belongs in an attached document


def record(session: Session, *, at_ms: int, actor: str, action: str, subject: str = "",
           reason: str = "", **detail: Any) -> AuditEntry:
    """Add one audit entry to ``session``; the service making the change commits both together."""
    entry = AuditEntry(at_ms=at_ms, actor=actor, action=action, subject=subject,
                       reason=reason[:MAX_REASON], detail=detail)
    session.add(entry)
    return entry

"""The audit trail (R12): who changed what, when and why. Read-only, by design."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlmodel import col, func, select

from host.api.deps import SessionDep, require
from host.api.params import Offset, TimeMs
from host.api.schemas import DEFAULT_PAGE, MAX_PAGE, Page
from host.auth import policy
from host.auth.roles import Principal
from host.models.audit import AuditEntry

router = APIRouter(prefix="/audit", tags=["audit"])
Auditor = Annotated[Principal, Depends(require(*policy.OVERSIGHT))]


class AuditPublic(BaseModel):
    at_ms: int
    actor: str
    action: str
    subject: str
    reason: str
    detail: dict[str, Any]


@router.get("", response_model=Page[AuditPublic])
def audit_trail(who: Auditor, session: SessionDep,
                action: Annotated[str | None, Query(description="e.g. device.assign")] = None,
                subject: Annotated[str | None, Query(description="e.g. a device id or window number")] = None,
                actor: str | None = None, from_ms: TimeMs = None, to_ms: TimeMs = None,
                limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
                offset: Offset = 0) -> Page[AuditPublic]:
    """Newest first."""
    conds = []
    if action is not None:
        conds.append(col(AuditEntry.action) == action)
    if subject is not None:
        conds.append(col(AuditEntry.subject) == subject)
    if actor is not None:
        conds.append(col(AuditEntry.actor) == actor)
    if from_ms is not None:
        conds.append(col(AuditEntry.at_ms) >= from_ms)
    if to_ms is not None:
        conds.append(col(AuditEntry.at_ms) < to_ms)
    total = session.exec(select(func.count()).select_from(AuditEntry).where(*conds)).one()
    q = (select(AuditEntry).where(*conds).order_by(col(AuditEntry.at_ms).desc(), col(AuditEntry.id).desc())
         .limit(limit).offset(offset))
    items = [AuditPublic(at_ms=e.at_ms, actor=e.actor, action=e.action, subject=e.subject, reason=e.reason,
                         detail=e.detail) for e in session.exec(q)]
    return Page[AuditPublic](items=items, total=total, limit=limit, offset=offset)

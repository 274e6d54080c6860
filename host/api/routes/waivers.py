"""Management waivers (R8): waive one deduction (by its key from the report) with a reason."""

from __future__ import annotations

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from host import fleet, waivers
from host.api.deps import ClockDep, SessionDep
from host.api.params import Id, MonthField, MonthQuery
from host.api.routes.review_common import Reviewer, ReviewReader, window_id
from host.models.waivers import Waiver

router = APIRouter(prefix="/waivers", tags=["waivers (R8)"])


class WaiverIn(BaseModel):
    window: str
    month: MonthField
    key: str = Field(description="the deduction's key, as the monthly report shows it")
    reason: str = Field(min_length=1)


class RevokeIn(BaseModel):
    reason: str = Field(min_length=1)


class WaiverPublic(BaseModel):
    id: int
    window: str
    month: str
    key: str
    reason: str
    by: str
    created_ms: int
    revoked_ms: int | None
    revoked_by: str | None
    revoke_reason: str | None


def _public(w: Waiver, numbers: dict[int, str]) -> WaiverPublic:
    assert w.id is not None
    return WaiverPublic(id=w.id, window=numbers.get(w.window_id, str(w.window_id)), month=w.month, key=w.key,
                        reason=w.reason, by=w.by, created_ms=w.created_ms, revoked_ms=w.revoked_ms,
                        revoked_by=w.revoked_by, revoke_reason=w.revoke_reason)


@router.get("", response_model=list[WaiverPublic])
def list_waivers(who: ReviewReader, session: SessionDep, month: MonthQuery = None, window: str | None = None,
                 include_revoked: bool = False) -> list[WaiverPublic]:
    rows = waivers.list_waivers(session, window_id=window_id(session, window, who),
                                month=month, include_revoked=include_revoked)
    numbers = fleet.window_numbers(session)
    return [_public(w, numbers) for w in rows]


@router.post("", response_model=WaiverPublic, status_code=status.HTTP_201_CREATED)
def create(body: WaiverIn, who: Reviewer, session: SessionDep, clock: ClockDep) -> WaiverPublic:
    wid = window_id(session, body.window, who)
    assert wid is not None
    row = waivers.create_waiver(session, window_id=wid, month=body.month, key=body.key,
                                reason=body.reason, by=who.actor, now_ms=clock.now_ms())
    return _public(row, fleet.window_numbers(session))


@router.post("/{waiver_id}/revoke", response_model=WaiverPublic)
def revoke(waiver_id: Id, body: RevokeIn, who: Reviewer, session: SessionDep,
           clock: ClockDep) -> WaiverPublic:
    row = waivers.revoke_waiver(session, waiver_id, reason=body.reason, by=who.actor, now_ms=clock.now_ms())
    return _public(row, fleet.window_numbers(session))

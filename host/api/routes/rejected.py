"""Rejected messages (kept with the raw bytes and the reason, never thrown away), conflicts,
and their replay once the cause is fixed (protocol.md Delivery 5-6)."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlmodel import col, func, select

from host import fleet
from host.api.deps import ClockDep, FleetEditor, PublishDep, SessionDep, SettingsDep
from host.api.schemas import (
    DEFAULT_PAGE,
    MAX_PAGE,
    ConflictPublic,
    Page,
    RejectedPublic,
    ReplayIn,
    ReplayOut,
)
from host.ingest.replay import replay_request
from host.models.events import EventConflict, RejectedMessage

router = APIRouter(prefix="/rejected", tags=["rejected"])


def _public(r: RejectedMessage) -> RejectedPublic:
    return RejectedPublic.model_validate({**r.model_dump(exclude={"raw"}),
                                          "raw_base64": base64.b64encode(r.raw).decode()})


@router.get("", response_model=Page[RejectedPublic])
def rejected(who: FleetEditor, session: SessionDep, device: str | None = None,
             code: Annotated[str | None, Query(description="reason code, e.g. unknown_device")] = None,
             pending: Annotated[bool | None, Query(description="true: not replayed yet")] = None,
             limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
             offset: Annotated[int, Query(ge=0)] = 0) -> Page[RejectedPublic]:
    conds = []
    if device is not None:
        conds.append(col(RejectedMessage.device_id) == device)
    if code is not None:
        conds.append(col(RejectedMessage.code) == code)
    if pending is not None:
        conds.append(col(RejectedMessage.replayed_ms).is_(None) if pending
                     else col(RejectedMessage.replayed_ms).is_not(None))
    total = session.exec(select(func.count()).select_from(RejectedMessage).where(*conds)).one()
    q = (select(RejectedMessage).where(*conds)
         .order_by(col(RejectedMessage.received_ms), col(RejectedMessage.id)).limit(limit).offset(offset))
    items = [_public(r) for r in session.exec(q)]
    return Page[RejectedPublic](items=items, total=total, limit=limit, offset=offset)


@router.get("/conflicts", response_model=Page[ConflictPublic])
def conflicts(who: FleetEditor, session: SessionDep, device: str | None = None,
              limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
              offset: Annotated[int, Query(ge=0)] = 0) -> Page[ConflictPublic]:
    """Repeated seqs with other content, kept beside the stored event (each raised to IT)."""
    conds = [col(EventConflict.device_id) == device] if device is not None else []
    total = session.exec(select(func.count()).select_from(EventConflict).where(*conds)).one()
    q = (select(EventConflict).where(*conds).order_by(col(EventConflict.id)).limit(limit).offset(offset))
    items = [ConflictPublic.model_validate({**c.model_dump(exclude={"raw", "digest"}),
                                            "raw_base64": base64.b64encode(c.raw).decode()})
             for c in session.exec(q)]
    return Page[ConflictPublic](items=items, total=total, limit=limit, offset=offset)


@router.post("/replay", response_model=ReplayOut)
def replay(body: ReplayIn, who: FleetEditor, session: SessionDep, clock: ClockDep, publish: PublishDep,
           settings: SettingsDep, request: Request) -> ReplayOut:
    """Replay kept events once their cause is fixed: a pad's held-back events after its
    registration or assignment, or rejected ones (by id or code, with a reason). Idempotent:
    an event is stored at most once. Audited (rejected.replay)."""
    if body.device is not None:
        fleet.get_device(session, body.device)
    result = replay_request(request.app.state.engine, clock, who.actor, device=body.device, ids=body.ids,
                            code=body.code, reason=body.reason, publish=publish, prefix=settings.mqtt_prefix)
    return ReplayOut(device=body.device, result=result.replayed, stored=result.stored,
                     duplicates=result.duplicates, conflicts=result.conflicts, still=dict(result.still),
                     skipped=result.skipped)

"""Rejected messages (kept with the reason, never thrown away) and their replay."""

from __future__ import annotations

import importlib
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlmodel import col, func, select

from host import audit, fleet
from host.api.deps import ClockDep, FleetEditor, PublishDep, SessionDep, SettingsDep
from host.api.schemas import DEFAULT_PAGE, MAX_PAGE, Page, RejectedPublic, ReplayIn, ReplayOut
from host.errors import Unavailable
from host.models.events import RejectedMessage

router = APIRouter(prefix="/rejected", tags=["rejected"])


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
    items = [RejectedPublic.model_validate(r) for r in session.exec(q)]
    return Page[RejectedPublic](items=items, total=total, limit=limit, offset=offset)


@router.post("/replay", response_model=ReplayOut)
def replay(body: ReplayIn, who: FleetEditor, session: SessionDep, clock: ClockDep, publish: PublishDep,
           settings: SettingsDep, request: Request) -> ReplayOut:
    """Store a device's held messages now that it is registered and assigned (the ingest does it)."""
    fleet.get_device(session, body.device)
    try:
        module = importlib.import_module("host.ingest.replay")
    except ImportError:
        module = None
    fn = getattr(module, "replay_for_device", None)
    if fn is None:
        raise Unavailable("this host has no replay (host.ingest.replay.replay_for_device is missing)",
                          "update evalpad; the held messages stay stored until then")
    result = fn(request.app.state.engine, body.device, clock, publish=publish, prefix=settings.mqtt_prefix)
    shown = result if isinstance(result, (int, str, dict, list)) else repr(result)
    audit.record(session, at_ms=clock.now_ms(), actor=who.actor, action="rejected.replay",
                 subject=body.device, result=shown)
    session.commit()
    return ReplayOut(device=body.device, result=result)

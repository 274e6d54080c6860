"""Stored events, filtered by device, window, type and time, paged with limit/offset and a total."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from sqlmodel import col, func, select

from host import fleet
from host.api.deps import EventReader, SessionDep
from host.api.params import Offset, TimeMs
from host.api.schemas import DEFAULT_PAGE, MAX_PAGE, EventPublic, Page
from host.auth.roles import Role
from host.errors import Invalid
from host.models.events import Event
from host.models.fleet import Window

router = APIRouter(prefix="/events", tags=["events"])


@router.get("", response_model=Page[EventPublic])
def events(who: EventReader, session: SessionDep,
           device: str | None = None,
           window: Annotated[str | None, Query(description="window number")] = None,
           event_type: Annotated[str | None, Query(alias="type", description="e.g. eval, pause")] = None,
           from_ms: TimeMs = None,
           to_ms: TimeMs = None,
           limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
           offset: Offset = 0,
           order: Literal["asc", "desc"] = "asc") -> Page[EventPublic]:
    """Events by the time they happened (``at_ms``, R10); staff see their own window's only."""
    if from_ms is not None and to_ms is not None and to_ms < from_ms:
        raise Invalid(f"结束时间 to_ms {to_ms} 早于开始时间 from_ms {from_ms}", "把两个时间对调")
    window_id = fleet.get_window(session, window).id if window else None
    if who.role is Role.STAFF:
        if window_id is not None:
            who.check_window(window_id)
        window_id = who.window_id
    conds = []
    if device is not None:
        conds.append(col(Event.device_id) == device)
    if window_id is not None:
        conds.append(col(Event.window_id) == window_id)
    if event_type is not None:
        conds.append(col(Event.type) == event_type)
    if from_ms is not None:
        conds.append(col(Event.at_ms) >= from_ms)
    if to_ms is not None:
        conds.append(col(Event.at_ms) < to_ms)
    total = session.exec(select(func.count()).select_from(Event).where(*conds)).one()
    at, eid = col(Event.at_ms), col(Event.id)
    by = (at, eid) if order == "asc" else (at.desc(), eid.desc())
    q = (select(Event, Window.number).join(Window, col(Window.id) == Event.window_id, isouter=True)
         .where(*conds).order_by(*by).limit(limit).offset(offset))
    items = [EventPublic.model_validate(e).model_copy(update={"window": number})
             for e, number in session.exec(q)]
    return Page[EventPublic](items=items, total=total, limit=limit, offset=offset)

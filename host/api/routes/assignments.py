"""The assignment history (R10): which pad sat on which window when."""

from __future__ import annotations

from fastapi import APIRouter

from host import fleet
from host.api.deps import EventReader, SessionDep
from host.api.schemas import AssignmentPublic
from host.api.views import assignment_public
from host.auth.roles import Role

router = APIRouter(prefix="/assignments", tags=["assignments"])


@router.get("", response_model=list[AssignmentPublic])
def assignments(who: EventReader, session: SessionDep, device: str | None = None,
                window: str | None = None) -> list[AssignmentPublic]:
    window_id = fleet.get_window(session, window).id if window else None
    if who.role is Role.STAFF:
        if window_id is not None:
            who.check_window(window_id)
        window_id = who.window_id
    rows = fleet.assignments(session, device_id=device, window_id=window_id)
    return [assignment_public(session, a) for a in rows]

"""Windows (窗口): list, add, retire. Staff see only their own window."""

from __future__ import annotations

from fastapi import APIRouter, status

from host import fleet
from host.api.deps import AnyUser, ClockDep, SessionDep, WindowEditor
from host.api.schemas import Reason, WindowCreate, WindowPublic
from host.api.views import window_public
from host.auth.roles import Role

router = APIRouter(prefix="/windows", tags=["windows"])


@router.get("", response_model=list[WindowPublic])
def windows(who: AnyUser, session: SessionDep, include_retired: bool = False) -> list[WindowPublic]:
    rows = fleet.list_windows(session, include_retired=include_retired)
    if who.role is Role.STAFF:
        rows = [w for w in rows if w.id == who.window_id]
    return [window_public(session, w) for w in rows]


@router.post("", response_model=WindowPublic, status_code=status.HTTP_201_CREATED)
def add_window(body: WindowCreate, who: WindowEditor, session: SessionDep, clock: ClockDep) -> WindowPublic:
    win = fleet.add_window(session, number=body.number, name=body.name, department=body.department,
                           category=body.category, clock=clock, actor=who.actor, reason=body.reason)
    return window_public(session, win)


@router.get("/{number}", response_model=WindowPublic)
def window(number: str, who: AnyUser, session: SessionDep) -> WindowPublic:
    win = fleet.get_window(session, number)
    who.check_window(win.id)
    return window_public(session, win)


@router.post("/{number}/retire", response_model=WindowPublic)
def retire_window(number: str, body: Reason, who: WindowEditor, session: SessionDep,
                  clock: ClockDep) -> WindowPublic:
    win = fleet.retire_window(session, number=number, clock=clock, actor=who.actor, reason=body.reason)
    return window_public(session, win)

"""Tables -> API models (the few that need a lookup, e.g. a window's number)."""

from __future__ import annotations

from sqlmodel import Session

from host import commands, fleet
from host.api.schemas import AssignmentPublic, CommandPublic, DevicePublic, UserPublic, WindowPublic
from host.fleet import DeviceView
from host.models.commands import Command
from host.models.fleet import Assignment, Window
from host.models.users import User


def window_public(session: Session, win: Window) -> WindowPublic:
    pad = fleet.current_device(session, win)
    return WindowPublic(number=win.number, name=win.name, department=win.department,
                        category=win.category, active=win.active, device=pad.device_id if pad else None)


def device_public(view: DeviceView) -> DevicePublic:
    d = view.device
    return DevicePublic(id=d.id, label=d.label, registered_ms=d.registered_ms, retired_ms=d.retired_ms,
                        window=view.window.number if view.window else None, since_ms=view.since_ms)


def assignment_public(session: Session, a: Assignment) -> AssignmentPublic:
    return AssignmentPublic(device=a.device_id, window=fleet.window_number(session, a.window_id) or "?",
                            start_ms=a.start_ms, end_ms=a.end_ms, by=a.by, reason=a.reason)


def user_public(session: Session, u: User) -> UserPublic:
    return UserPublic(name=u.name, role=u.role, window=fleet.window_number(session, u.window_id),
                      created_ms=u.created_ms, disabled=u.disabled_ms is not None)


def command_public(row: Command, now_ms: int) -> CommandPublic:
    return CommandPublic(id=row.id, device_id=row.device_id, type=row.type, body=row.body,
                         status=commands.status(row, now_ms), created_ms=row.created_ms,  # type: ignore[arg-type]
                         created_by=row.created_by, expires_ms=row.expires_ms,
                         published_ms=row.published_ms, publish_error=row.publish_error,
                         result_ok=row.result_ok, result_detail=row.result_detail, result_ms=row.result_ms)

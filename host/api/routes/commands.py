"""Commands to a pad: POST creates and publishes, GET shows the pad's result."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlmodel import Session

from host import commands, fleet
from host.api.deps import ClockDep, Operator, PublishDep, SessionDep, SettingsDep
from host.api.schemas import CommandCreate, CommandPublic
from host.api.views import command_public
from host.auth.roles import Principal, Role
from host.display.render import with_bitmaps
from host.errors import Forbidden, Invalid

router = APIRouter(tags=["commands"])

# Staff may do from their desk what their pad's keys do, and set what it shows.
STAFF_COMMANDS = frozenset({"prompt", "pause", "resume", "display"})


def _check_device(who: Principal, session: Session, device_id: str) -> None:
    if who.role is Role.STAFF:
        a = fleet.open_assignment(session, device_id)
        who.check_window(a.window_id if a else None)


@router.post("/devices/{device_id}/commands", response_model=CommandPublic,
             status_code=status.HTTP_201_CREATED)
def send(device_id: str, body: CommandCreate, who: Operator, session: SessionDep, clock: ClockDep,
         publish: PublishDep, settings: SettingsDep) -> CommandPublic:
    """Store the command and publish it on ``<prefix>/<dev>/cmd`` (QoS 1)."""
    fleet.get_device(session, device_id)
    _check_device(who, session, device_id)
    if who.role is Role.STAFF and body.type not in STAFF_COMMANDS:
        raise Forbidden(f"窗口工作人员不能发送 {body.type!r} 指令",
                        "请联系信息技术科（他们可以发送 config、time、selftest、reboot）")
    fields = body.fields()
    if body.type == "display":      # Chinese window/staff names reach the pad as bitmaps
        try:
            fields = with_bitmaps(fields)
        except ValueError as exc:
            raise Invalid(f"显示内容指令：{exc}", "填写一个不为空、更短的名称") from exc
    row = commands.send_command(session, device_id=device_id, kind=body.type, fields=fields,
                                clock=clock, publish=publish, actor=who.actor, prefix=settings.mqtt_prefix,
                                ttl_ms=body.ttl_ms)
    return command_public(row, clock.now_ms())


@router.get("/devices/{device_id}/commands", response_model=list[CommandPublic])
def device_commands(device_id: str, who: Operator, session: SessionDep,
                    clock: ClockDep) -> list[CommandPublic]:
    fleet.get_device(session, device_id)
    _check_device(who, session, device_id)
    now = clock.now_ms()
    return [command_public(r, now) for r in commands.list_commands(session, device_id)]


@router.get("/commands/{command_id}", response_model=CommandPublic)
def command(command_id: str, who: Operator, session: SessionDep, clock: ClockDep) -> CommandPublic:
    """The command as sent and, once the pad answered (``cmd_result``), whether it worked."""
    row = commands.get_command(session, command_id)
    _check_device(who, session, row.device_id)
    return command_public(row, clock.now_ms())

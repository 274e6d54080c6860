"""Pads (评价器): register (with a broker account, password shown once), assign, retire."""

from __future__ import annotations

import logging

from fastapi import APIRouter, status

from host import fleet
from host.api.deps import ClockDep, FleetEditor, FleetReader, SessionDep, SettingsDep
from host.api.schemas import (
    AssignIn,
    AssignmentPublic,
    BrokerCredentials,
    DeviceCreate,
    DeviceCreated,
    DevicePublic,
    Reason,
)
from host.api.views import assignment_public, device_public
from host.auth.roles import Role
from host.broker import accounts
from host.settings import Settings

log = logging.getLogger(__name__)
router = APIRouter(prefix="/devices", tags=["devices"])


def broker_note(settings: Settings) -> str:
    return accounts.pending_note(settings.data_dir / "broker", external=bool(settings.mqtt_url))


@router.get("", response_model=list[DevicePublic])
def devices(who: FleetReader, session: SessionDep, include_retired: bool = False) -> list[DevicePublic]:
    window_id = who.window_id if who.role is Role.STAFF else None
    if who.role is Role.STAFF and window_id is None:
        return []
    return [device_public(v) for v in fleet.list_devices(session, include_retired, window_id=window_id)]


@router.post("", response_model=DeviceCreated, status_code=status.HTTP_201_CREATED)
def add_device(body: DeviceCreate, who: FleetEditor, session: SessionDep, clock: ClockDep,
               settings: SettingsDep) -> DeviceCreated:
    """Register a pad and create its broker account. The password is in this response only."""
    _, password = fleet.register_pad(session, device_id=body.id, label=body.label, window_number=body.window,
                                     clock=clock, actor=who.actor, reason=body.reason, since_ms=body.since_ms,
                                     broker_dir=settings.data_dir / "broker", prefix=settings.mqtt_prefix)
    view = fleet.device_view(session, body.id)
    return DeviceCreated(**device_public(view).model_dump(),
                         broker=BrokerCredentials(username=body.id, password=password,
                                                  note=broker_note(settings)))


@router.get("/{device_id}", response_model=DevicePublic)
def device(device_id: str, who: FleetReader, session: SessionDep) -> DevicePublic:
    view = fleet.device_view(session, device_id)
    if who.role is Role.STAFF:
        who.check_window(view.window.id if view.window else None)
    return device_public(view)


@router.post("/{device_id}/assign", response_model=AssignmentPublic)
def assign(device_id: str, body: AssignIn, who: FleetEditor, session: SessionDep,
           clock: ClockDep) -> AssignmentPublic:
    """Put the pad on a window from now on (R10); a pad already there is taken off it."""
    a = fleet.assign(session, device_id=device_id, window_number=body.window, clock=clock,
                     actor=who.actor, reason=body.reason, since_ms=body.since_ms)
    return assignment_public(session, a)


@router.post("/{device_id}/unassign", response_model=AssignmentPublic)
def unassign(device_id: str, body: Reason, who: FleetEditor, session: SessionDep,
             clock: ClockDep) -> AssignmentPublic:
    a = fleet.unassign(session, device_id=device_id, clock=clock, actor=who.actor, reason=body.reason)
    return assignment_public(session, a)


@router.post("/{device_id}/retire", response_model=DevicePublic)
def retire(device_id: str, body: Reason, who: FleetEditor, session: SessionDep, clock: ClockDep,
           settings: SettingsDep) -> DevicePublic:
    """Retire the pad for good: assignment closed, broker account removed (it cannot connect again)."""
    fleet.retire_device(session, device_id=device_id, clock=clock, actor=who.actor, reason=body.reason,
                        broker_dir=settings.data_dir / "broker")
    return device_public(fleet.device_view(session, device_id))


@router.post("/{device_id}/password", response_model=BrokerCredentials)
def new_password(device_id: str, body: Reason, who: FleetEditor, session: SessionDep, clock: ClockDep,
                 settings: SettingsDep) -> BrokerCredentials:
    """Replace the pad's broker password (e.g. a pad was reflashed); shown once."""
    password = fleet.new_pad_password(session, device_id=device_id, clock=clock, actor=who.actor,
                                      reason=body.reason, broker_dir=settings.data_dir / "broker",
                                      prefix=settings.mqtt_prefix)
    return BrokerCredentials(username=device_id, password=password, note=broker_note(settings))

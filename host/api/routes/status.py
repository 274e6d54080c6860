"""Live status of each pad (the newest retained state, from DeviceStatus)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import Session, col, select

from host import fleet
from host.api.deps import FleetReader, SessionDep
from host.api.schemas import DeviceStatusPublic
from host.auth.roles import Role
from host.errors import NotFound
from host.models.fleet import Assignment, Window
from host.models.liveness import DeviceStatus

router = APIRouter(prefix="/status", tags=["status"])


def _public(st: DeviceStatus, window: str | None) -> DeviceStatusPublic:
    faults = [f for f in st.faults.split(",") if f]
    return DeviceStatusPublic(
        device_id=st.device_id, window=window, online=st.online, mode=st.mode, since_ms=st.since_ms,
        last_seen_ms=st.last_seen_ms, fw=st.fw, boot=st.boot, up_ms=st.up_ms, buffered=st.buffered,
        rejected=st.rejected, mem_free=st.mem_free, rssi=st.rssi, faults=faults,
        last_reset_cause=st.last_reset_cause)


def _rows(session: Session, window_id: int | None = None, device_id: str | None = None):  # type: ignore[no-untyped-def]
    q = (select(DeviceStatus, Window.number)
         .join(Assignment, (col(Assignment.device_id) == DeviceStatus.device_id)
               & col(Assignment.end_ms).is_(None), isouter=True)
         .join(Window, col(Window.id) == Assignment.window_id, isouter=True)
         .order_by(col(DeviceStatus.device_id)))
    if window_id is not None:
        q = q.where(Assignment.window_id == window_id)
    if device_id is not None:
        q = q.where(DeviceStatus.device_id == device_id)
    return session.exec(q)


@router.get("", response_model=list[DeviceStatusPublic])
def statuses(who: FleetReader, session: SessionDep) -> list[DeviceStatusPublic]:
    """Every pad's live status with the window it sits on; staff: their window's pad only."""
    if who.role is Role.STAFF:
        if who.window_id is None:
            return []
        return [_public(st, n) for st, n in _rows(session, window_id=who.window_id)]
    return [_public(st, n) for st, n in _rows(session)]


@router.get("/{device_id}", response_model=DeviceStatusPublic)
def status(device_id: str, who: FleetReader, session: SessionDep) -> DeviceStatusPublic:
    view = fleet.device_view(session, device_id)
    if who.role is Role.STAFF:
        who.check_window(view.window.id if view.window else None)
    row = _rows(session, device_id=device_id).first()
    if row is None:
        raise NotFound(f"还没有收到评价器 {device_id} 的状态",
                       "打开评价器电源，并检查它能连上消息服务（看它的日志或 mosquitto.log）")
    return _public(row[0], row[1])

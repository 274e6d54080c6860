"""Write real rows (windows, pads, assignments, events, intervals, sessions) for review tests."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from host.models.events import Event
from host.models.fleet import Assignment, Device, Window
from host.models.liveness import ModeInterval, PowerInterval
from host.models.service import ServiceSession

DAY_MS = 86_400_000


class Hall:
    """A few windows with one pad each; events get per-device seq numbers like the real pads'."""

    def __init__(self, db: Session) -> None:
        self.db = db
        self.seq: dict[str, int] = {}
        self.windows: dict[str, int] = {}

    def window(
        self,
        number: str,
        *,
        device: str | None = None,
        since_ms: int = 0,
        name: str = "",
        category: str = "general",
    ) -> int:
        w = Window(number=number, name=name or f"窗口{number}", category=category)
        self.db.add(w)
        self.db.flush()
        assert w.id is not None
        self.windows[number] = w.id
        if device is not None:
            self.pad(device, w.id, since_ms)
        self.db.commit()
        return w.id

    def pad(self, device: str, window_id: int, since_ms: int = 0, until_ms: int | None = None) -> None:
        if self.db.get(Device, device) is None:
            self.db.add(Device(id=device, registered_ms=since_ms))
            self.db.flush()
        self.db.add(Assignment(device_id=device, window_id=window_id, start_ms=since_ms, end_ms=until_ms))
        self.db.commit()

    def event(self, device: str, window_id: int | None, type_: str, at_ms: int, **fields: Any) -> int:
        seq = self.seq[device] = self.seq.get(device, 0) + 1
        body = {
            "v": 1,
            "dev": device,
            "seq": seq,
            "boot": 1,
            "up": 1000 * seq,
            "ts": at_ms,
            "type": type_,
            **fields,
        }
        e = Event(
            device_id=device,
            seq=seq,
            boot=1,
            up_ms=1000 * seq,
            type=type_,
            pad_ts_ms=at_ms,
            at_ms=at_ms,
            received_ms=at_ms + 50,
            window_id=window_id,
            rating=fields.get("rating"),
            svc=fields.get("svc"),
            body=body,
        )
        self.db.add(e)
        self.db.commit()
        assert e.id is not None
        return e.id

    def eval(
        self,
        device: str,
        window_id: int,
        at_ms: int,
        svc: str | None = None,
        rating: str = "satisfied",
        **extra: Any,
    ) -> int:
        return self.event(
            device, window_id, "eval", at_ms, rating=rating, svc=svc, prompted=svc is not None, **extra
        )

    def service(self, window_id: int, ticket: str, start_ms: int, end_ms: int | None) -> int:
        s = ServiceSession(window_id=window_id, ticket=ticket, started_ms=start_ms, ended_ms=end_ms)
        self.db.add(s)
        self.db.commit()
        assert s.id is not None
        return s.id

    def mode(self, device: str, mode: str, start_ms: int, end_ms: int | None) -> None:
        self.db.add(ModeInterval(device_id=device, mode=mode, start_ms=start_ms, end_ms=end_ms))
        self.db.commit()

    def power(
        self, device: str, state: str, start_ms: int, end_ms: int | None, cause: str = "timeout"
    ) -> int:
        p = PowerInterval(device_id=device, state=state, start_ms=start_ms, end_ms=end_ms, cause=cause)
        self.db.add(p)
        self.db.commit()
        assert p.id is not None
        return p.id

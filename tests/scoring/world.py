"""A small center in a real database (SQLite or PostgreSQL via Alembic) for end-to-end scoring tests.

Facts go in as the ingest stores them: Event rows (``at_ms``, ``window_id``), PowerInterval
rows and the Assignment history (R10). Times are written in Asia/Shanghai wall time.
"""

from __future__ import annotations

from datetime import date, datetime, time
from itertools import count

from sqlalchemy.engine import Engine
from sqlmodel import Session

from host.clock import RULES_TZ, ManualClock, to_ms
from host.db import make_engine, upgrade
from host.models import Assignment, Device, Event, PowerInterval, Window

MIN = 60_000


def sh(day: date, t: time = time(0)) -> int:
    """Asia/Shanghai wall time -> Unix ms."""
    return to_ms(datetime.combine(day, t, tzinfo=RULES_TZ))


class World:
    def __init__(self, url: str | None, now: int, engine: Engine | None = None,
                 clock: ManualClock | None = None, migrate: bool = True) -> None:
        """The database at ``url`` (migrated here unless ``migrate`` is False: a copy of a migrated
        template), or (url None) an existing ``engine`` and ``clock``."""
        if url is not None and migrate:
            upgrade(url)
        self.engine: Engine = engine if engine is not None else make_engine(str(url))
        self.clock = clock if clock is not None else ManualClock(now)
        self._seq = count(1)

    def session(self) -> Session:
        return Session(self.engine)

    def window(self, number: str, category: str = "general") -> int:
        with self.session() as s:
            w = Window(number=number, name=f"window {number}", category=category)
            s.add(w)
            s.commit()
            assert w.id is not None
            return w.id

    def pad(self, dev: str, window_id: int, start_ms: int, end_ms: int | None = None) -> None:
        """Register ``dev`` (once) and assign it to the window for [start, end) (R10)."""
        with self.session() as s:
            if s.get(Device, dev) is None:
                s.add(Device(id=dev, registered_ms=start_ms))
                s.flush()
            s.add(Assignment(device_id=dev, window_id=window_id, start_ms=start_ms, end_ms=end_ms,
                             by="test", reason="setup"))
            s.commit()

    def power(self, dev: str, state: str, start_ms: int, end_ms: int | None, cause: str = "") -> None:
        with self.session() as s:
            s.add(PowerInterval(device_id=dev, state=state, start_ms=start_ms, end_ms=end_ms, cause=cause))
            s.commit()

    def on_except(self, dev: str, start_ms: int, end_ms: int, *offs: tuple[int, int]) -> None:
        """The pad on from ``start_ms`` to ``end_ms`` except the given off intervals (will messages)."""
        cursor = start_ms
        for a, b in sorted(offs):
            self.power(dev, "on", cursor, a, "birth")
            self.power(dev, "off", a, b, "will")
            cursor = b
        self.power(dev, "on", cursor, end_ms, "birth")

    def evals(self, dev: str, window_id: int | None, at_ms: int, satisfied: int, unsatisfied: int = 0,
              step_ms: int = 30_000, received_ms: int | None = None) -> list[int]:
        """Store evaluations pressed from ``at_ms`` on, ``step_ms`` apart; returns their ids."""
        rows = []
        with self.session() as s:
            for i, rating in enumerate(["satisfied"] * satisfied + ["unsatisfied"] * unsatisfied):
                seq = next(self._seq)
                t = at_ms + i * step_ms
                e = Event(device_id=dev, seq=seq, boot=1, up_ms=seq, type="eval", pad_ts_ms=t, at_ms=t,
                          received_ms=received_ms if received_ms is not None else t + 50, window_id=window_id,
                          rating=rating, svc=None,
                          body={"v": 1, "seq": seq, "type": "eval", "rating": rating, "prompted": True})
                s.add(e)
                rows.append(e)
            s.commit()
            return [e.id for e in rows if e.id is not None]

    def volume(self, month: str, **by_window: int) -> None:
        """Import V through the business-system import path (R3)."""
        from host.volume import import_volume

        text = "窗口号,月份,业务受理量\n" + "".join(f"{w},{month},{v}\n" for w, v in by_window.items())
        with self.session() as s:
            import_volume(s, "volume.csv", text.encode(), by="test", now_ms=self.clock.now_ms())


NOV = "2026-11"                               # winter schedule, no public holidays
NOV_START, NOV_END = sh(date(2026, 11, 1)), sh(date(2026, 12, 1))
DAY_MS = 86_400_000


def always_on_window(world: World, number: str = "A01", category: str = "general",
                     offs: tuple[tuple[int, int], ...] = (), start: int = NOV_START,
                     end: int = NOV_END) -> int:
    """A window whose pad ``pad-<number>`` is on from a day before ``start`` to a day after ``end``."""
    wid = world.window(number, category)
    world.pad(f"pad-{number}", wid, start - DAY_MS)
    world.on_except(f"pad-{number}", start - DAY_MS, end + DAY_MS, *offs)
    return wid

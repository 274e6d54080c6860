"""Time as a dependency (architecture: "Time is a dependency").

Everything that needs "now" takes a Clock, so tests and the simulator can run a month
in seconds. The wire and the database speak UTC milliseconds; the rules speak
Asia/Shanghai (``RULES_TZ``).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

RULES_TZ = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now_ms(self) -> int:
        """Unix time in milliseconds, UTC."""
        ...


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class ManualClock:
    """A clock tests move by hand."""

    def __init__(self, start_ms: int) -> None:
        self._now = start_ms
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        with self._lock:
            return self._now

    def advance(self, ms: int) -> int:
        with self._lock:
            self._now += ms
            return self._now

    def set(self, ms: int) -> None:
        with self._lock:
            self._now = ms


class AcceleratedClock:
    """Simulated time: starts at ``start_ms`` and runs ``speed`` times faster than real time."""

    def __init__(self, start_ms: int, speed: float = 1.0) -> None:
        self.start_ms = start_ms
        self.speed = speed
        self._t0 = time.monotonic()

    def now_ms(self) -> int:
        return self.start_ms + int((time.monotonic() - self._t0) * 1000 * self.speed)


def to_ms(dt: datetime) -> int:
    """An aware datetime -> Unix ms. Naive datetimes are refused: they hide a time-zone bug."""
    if dt.tzinfo is None:
        raise ValueError(f"naive datetime {dt!r}: give a time zone "
                         "(UTC on the wire, Asia/Shanghai for rules)")
    return int(dt.timestamp() * 1000)


TIME_FORMS = ("2026-10-19 09:00、2026-10-19 09:00:30（北京时间），"
              "2026-10-19T01:00:30Z 或 2026-10-19T09:00:30+08:00（ISO 8601），或与接口相同的 Unix 毫秒数")


def parse_day(text: str) -> date:
    """A date a person types, ``2027-02-06`` (Asia/Shanghai's calendar) -> date; ValueError saying
    how to write it."""
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"日期 {text!r} 写法不对：请写成 YYYY-MM-DD，如 2027-02-06") from None


def parse_time(text: str) -> int:
    """A moment a person types -> Unix ms, to the second (or ms) as the API takes it.

    Wall time without a zone is Asia/Shanghai (the rules' time); an ISO 8601 time with a zone
    or ``Z`` is taken as given; digits alone are Unix ms UTC (the API's ``*_ms``). Raises
    ValueError saying which forms work.
    """
    raw = text.strip()
    if raw.isdigit():
        return int(raw)
    try:
        dt = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{text!r} 不是日期和时间；请写成 {TIME_FORMS}") from None
    return to_ms(dt if dt.tzinfo else dt.replace(tzinfo=RULES_TZ))


def utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def local(ms: int) -> datetime:
    """Unix ms -> Asia/Shanghai wall time, the time the rules are written in."""
    return datetime.fromtimestamp(ms / 1000, tz=RULES_TZ)

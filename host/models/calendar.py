"""The center's working-hours configuration (R5) and rule settings, each with who, when and why (R12).

- ``CalendarDay``: the operator's entry for one date (working or off); it wins over the official
  calendar (chinesecalendar), and covers years the library has no data for.
- ``CalendarYear``: the operator declared a year's calendar entered, so its dates without an
  entry follow the ordinary week (Mon-Fri working).
- ``SummerSchedule``: the summer-schedule (夏令时) date range of one year; a year without a row
  uses the shipped default, an ASSUMPTION shown as such (host.rules.calendar).
- ``WindowSchedule`` / ``WindowDay``: a window's noon duty, Saturday service hours and closed days.
- ``RuleSetting``: small key/value settings (grace period, minimum interval, placard categories).

Changes overwrite the current row and write an AuditEntry (the history).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


class CalendarDay(SQLModel, table=True):
    day: dt.date = Field(primary_key=True)
    working: bool
    by: str = Field(max_length=64)
    reason: str = Field(default="", max_length=256)
    at_ms: int = Field(sa_column=Column(BigInteger, nullable=False))


class CalendarYear(SQLModel, table=True):
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    by: str = Field(max_length=64)
    reason: str = Field(default="", max_length=256)
    at_ms: int = Field(sa_column=Column(BigInteger, nullable=False))


class SummerSchedule(SQLModel, table=True):
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    start: dt.date
    end: dt.date
    by: str = Field(max_length=64)
    reason: str = Field(default="", max_length=256)
    at_ms: int = Field(sa_column=Column(BigInteger, nullable=False))


class WindowSchedule(SQLModel, table=True):
    """Per-window hours (R5). Weekdays as comma lists of 0-6 (0 = Monday); Saturday spans as
    ``HH:MM-HH:MM`` comma lists, e.g. ``09:00-12:00,13:00-16:00``."""

    window_id: int = Field(foreign_key="window.id", primary_key=True,
                           sa_column_kwargs={"autoincrement": False})
    noon_duty_weekdays: str = Field(default="", max_length=32)
    saturday_spans: str = Field(default="", max_length=128)
    closed_weekdays: str = Field(default="", max_length=32)
    by: str = Field(max_length=64)
    reason: str = Field(default="", max_length=256)
    at_ms: int = Field(sa_column=Column(BigInteger, nullable=False))


class WindowDay(SQLModel, table=True):
    """One date of one window: ``kind`` "closed" (not staffed) or "noon_duty"."""

    __table_args__ = (UniqueConstraint("window_id", "day", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    window_id: int = Field(foreign_key="window.id", index=True)
    day: dt.date
    kind: str = Field(max_length=16)
    by: str = Field(max_length=64)
    reason: str = Field(default="", max_length=256)
    at_ms: int = Field(sa_column=Column(BigInteger, nullable=False))


class RuleSetting(SQLModel, table=True):
    """A configurable number or list of the rules; absent keys use the documented default."""

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=512)
    by: str = Field(max_length=64)
    reason: str = Field(default="", max_length=256)
    at_ms: int = Field(sa_column=Column(BigInteger, nullable=False))

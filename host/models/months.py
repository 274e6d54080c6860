"""Month close and reopen (R11): an append-only log; the newest row says whether a month is closed.

A close keeps the report as it was fed back to the windows (``snapshot``, JSON); a reopen
keeps who and why. Nothing is edited: each action is a new row (R12).
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Index, Text
from sqlmodel import Field, SQLModel

from host.models.events import Event


class MonthAction(SQLModel, table=True):
    __table_args__ = (Index("ix_monthaction_month_at", "month", "at_ms"),)

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7)                 # "2026-10"
    action: str = Field(max_length=8)                # "close" | "reopen"
    at_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    by: str = Field(max_length=64)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    snapshot: dict | None = Field(default=None, sa_column=Column(JSON))


# The month report counts N and S per window in one GROUP BY over a month of events (R2). With
# every column it reads in the index, SQLite and PostgreSQL answer from the index alone, in window
# order (6 million events: seconds instead of tens of seconds). Declared here, beside the report's
# own table, so the events model stays the ingest's; ix_event_window_at is a prefix of it.
Index("ix_event_window_at_type_rating", Event.__table__.c.window_id, Event.__table__.c.at_ms,  # type: ignore[attr-defined]
      Event.__table__.c.type, Event.__table__.c.rating)  # type: ignore[attr-defined]

"""Month close and reopen (R11): an append-only log; the newest row says whether a month is closed.

A close keeps the report as it was fed back to the windows (``snapshot``, JSON); a reopen
keeps who and why. Nothing is edited: each action is a new row (R12).
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Index, Text
from sqlmodel import Field, SQLModel


class MonthAction(SQLModel, table=True):
    __table_args__ = (Index("ix_monthaction_month_at", "month", "at_ms"),)

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7)                 # "2026-10"
    action: str = Field(max_length=8)                # "close" | "reopen"
    at_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    by: str = Field(max_length=64)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    snapshot: dict | None = Field(default=None, sa_column=Column(JSON))

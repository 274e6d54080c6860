"""Service sessions (one citizen served at a window), from the queue-system hook (R3, R6)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


class ServiceSession(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("window_id", "ticket"),)

    id: int | None = Field(default=None, primary_key=True)
    window_id: int = Field(foreign_key="window.id", index=True)
    ticket: str = Field(max_length=64)                 # the queue system's ticket id; = svc on the pad
    started_ms: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    ended_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    source: str = Field(default="queue", max_length=16)

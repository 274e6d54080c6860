"""What pads said: stored events (unique per device and seq) and refused messages."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Event(SQLModel, table=True):
    """One event of the contract, stored at most once: ``(device_id, seq)`` is unique.

    ``at_ms`` is when it happened: the pad's clock (``pad_ts_ms``) or, where that was
    never set, derived from boot/uptime and receipt times (``time_derived``, R10).
    ``window_id`` is the window the pad was assigned to at ``at_ms`` (R10).
    """

    __table_args__ = (
        UniqueConstraint("device_id", "seq", name="uq_event_device_seq"),
        Index("ix_event_window_at", "window_id", "at_ms"),
        Index("ix_event_device_at", "device_id", "at_ms"),
    )

    # BIGINT on PostgreSQL (millions of events a year); SQLite needs INTEGER for its rowid key.
    id: int | None = Field(default=None, sa_column=Column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True))
    device_id: str = Field(max_length=32)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    boot: int = Field(sa_column=Column(BigInteger, nullable=False))
    up_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    type: str = Field(max_length=16, index=True)
    pad_ts_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    at_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    time_derived: bool = False
    received_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    window_id: int | None = Field(default=None, foreign_key="window.id")
    rating: str | None = Field(default=None, max_length=16)
    svc: str | None = Field(default=None, max_length=256)
    body: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # the validated message


class RejectedMessage(SQLModel, table=True):
    """A payload the host refused or could not place yet; kept with the reason, never thrown away.

    ``replayed_ms`` is set once a later registration or assignment let it be stored.
    """

    id: int | None = Field(default=None, primary_key=True)
    received_ms: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    topic: str = Field(max_length=256)
    device_id: str | None = Field(default=None, max_length=64, index=True)
    code: str = Field(max_length=32, index=True)       # protocol.errors code, or unknown_device, ...
    reason: str = Field(sa_column=Column(Text, nullable=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))   # full text (<= 1 KiB) or excerpt
    replayed_ms: int | None = Field(default=None, sa_column=Column(BigInteger))


class BootAnchor(SQLModel, table=True):
    """When boot ``boot`` of pad ``device_id`` started, in host time: the anchor of derived times (R10).

    ``boot_ms`` is the pad's clock minus ``up`` where the pad's clock was set in that boot
    (``from_clock``), else the smallest ``received_ms - up`` seen: network delay only makes
    that later, so the smallest is the closest to the truth.
    """

    device_id: str = Field(primary_key=True, max_length=32)
    boot: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    boot_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    from_clock: bool = False

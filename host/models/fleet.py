"""Windows (窗口), pads (评价器) and which pad sat on which window when (R10)."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class Window(SQLModel, table=True):
    """One service counter. ``category`` decides e.g. whether a work placard excuses closures (R5a)."""

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(index=True, unique=True, max_length=16)    # e.g. "A07", shown on the pad
    name: str = Field(max_length=64)                                 # e.g. "公安分局出入境"
    department: str = Field(default="", max_length=64)
    category: str = Field(default="general", max_length=32)          # e.g. "police_traffic"
    active: bool = True


class Device(SQLModel, table=True):
    """A pad, known by its device id (= MQTT client id and broker username)."""

    id: str = Field(primary_key=True, max_length=32)
    label: str = Field(default="", max_length=64)
    registered_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    retired_ms: int | None = Field(default=None, sa_column=Column(BigInteger))


class Assignment(SQLModel, table=True):
    """Pad ``device_id`` sat on window ``window_id`` from ``start_ms`` until ``end_ms`` (open: now)."""

    __table_args__ = (
        UniqueConstraint("device_id", "start_ms"),
        # R10: a pad sits on one window at a time. Two concurrent moves of one pad cannot both
        # leave an open interval; the loser gets an IntegrityError (API: 409, try again).
        Index("uq_assignment_open_device", "device_id", unique=True,
              sqlite_where=text("end_ms IS NULL"), postgresql_where=text("end_ms IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    device_id: str = Field(foreign_key="device.id", index=True, max_length=32)
    window_id: int = Field(foreign_key="window.id", index=True)
    start_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    end_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    by: str = Field(default="", max_length=64)
    reason: str = Field(default="", max_length=256)


class AssignmentCorrection(SQLModel, table=True):
    """A move recorded after the fact at its real time (R10), with who, when and why (R12).

    ``at_ms`` is when the pads really moved, ``recorded_ms`` when IT recorded it. ``before`` and
    ``after`` are the assignment intervals it replaced and wrote (``{device, window_id,
    start_ms, end_ms}``); ``moved`` the events it re-attributed (``[event id, from window id,
    to window id]``, None: on no window); ``closed_months`` the closed months it reaches,
    whose reports stay as fed back (R11) and list it like a late event.
    """

    id: int | None = Field(default=None, primary_key=True)
    at_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    recorded_ms: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    by: str = Field(max_length=64)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    moves: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    before: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    after: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    moved: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    closed_months: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))

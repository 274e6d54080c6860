"""The IT section's fault log (报修记录, R7).

A fault is opened by a pad (self-checks, repeated watchdog resets), by the host (a pad
silent in working hours, a mass outage) or by a person (on the pad or on the web). Its
lifecycle is open -> acknowledged -> resolved; the verdict says what it was. Only a
``pad_fault`` verdict waives the deductions it overlaps (R7).
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Index, Text
from sqlmodel import Field, SQLModel


class Fault(SQLModel, table=True):
    """One entry of the repair log.

    ``started_ms`` is when the problem began, ``cleared_ms`` when the pad reported it gone
    (``fault_clear``) or the outage ended; ``opened_ms``/``acknowledged_ms``/``resolved_ms``
    are the log's own lifecycle. While open, a repeat of the same ``(device_id, code)``
    bumps ``repeats`` and ``last_seen_ms`` instead of opening another entry.
    """

    __table_args__ = (Index("ix_fault_device_code_status", "device_id", "code", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=8)                # pad | host | staff
    device_id: str | None = Field(default=None, foreign_key="device.id", max_length=32)
    window_id: int | None = Field(default=None, foreign_key="window.id")
    code: str = Field(max_length=32, index=True)     # protocol fault code, watchdog_resets, silent, ...
    detail: str = Field(default="", sa_column=Column(Text, nullable=False))
    devices: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # mass outage
    started_ms: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    cleared_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    last_seen_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    repeats: int = 0
    opened_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    opened_by: str = Field(default="system", max_length=64)
    status: str = Field(default="open", max_length=16, index=True)   # open | acknowledged | resolved
    acknowledged_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    acknowledged_by: str | None = Field(default=None, max_length=64)
    assignee: str | None = Field(default=None, max_length=64)
    resolved_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    resolved_by: str | None = Field(default=None, max_length=64)
    repair_notes: str = Field(default="", sa_column=Column(Text, nullable=False))
    # pad_fault | network | power | staff_caused | no_fault_found
    verdict: str | None = Field(default=None, max_length=16, index=True)
    key: str | None = Field(default=None, max_length=64, unique=True)   # host-made faults, e.g. outage:<ms>


class FaultEvidence(SQLModel, table=True):
    """Which fact fed which fault: a pad event or a power interval, each at most once.

    Makes syncing the log from events and intervals idempotent (run it as often as you like).
    """

    id: int | None = Field(default=None, primary_key=True)
    fault_id: int | None = Field(default=None, foreign_key="fault.id", index=True)  # None: seen, fed none
    event_id: int | None = Field(default=None, sa_column=Column(BigInteger, unique=True))
    interval_id: int | None = Field(default=None, sa_column=Column(BigInteger, unique=True))

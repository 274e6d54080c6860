"""Facts about when each pad was on, off or unknown, and in which mode (R5).

Intervals are half-open ``[start_ms, end_ms)``; ``end_ms`` None means "still so".
The ingest keeps them precise to the second; R5 closures are computed from them.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from protocol import spec


class PowerInterval(SQLModel, table=True):
    """The pad was ``on`` (online, serving or paused), ``off``, or ``unknown`` (host down, R5 d)."""

    __table_args__ = (Index("ix_power_device_start", "device_id", "start_ms"),)

    id: int | None = Field(default=None, primary_key=True)
    device_id: str = Field(foreign_key="device.id", max_length=32)
    state: str = Field(max_length=8)                     # "on" | "off" | "unknown"
    start_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    end_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    cause: str = Field(default="", max_length=32)        # birth, will, power_off, timeout, host_down, ...


class ModeInterval(SQLModel, table=True):
    """The pad's display mode (serving, prompt, paused, fault) while on."""

    __table_args__ = (Index("ix_mode_device_start", "device_id", "start_ms"),)

    id: int | None = Field(default=None, primary_key=True)
    device_id: str = Field(foreign_key="device.id", max_length=32)
    mode: str = Field(max_length=16)
    start_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    end_ms: int | None = Field(default=None, sa_column=Column(BigInteger))


class DeviceStatus(SQLModel, table=True):
    """The newest known state of each pad (live view; the intervals above are the history)."""

    device_id: str = Field(foreign_key="device.id", primary_key=True, max_length=32)
    power: str = Field(default="unknown", max_length=8)  # state of the open PowerInterval
    online: bool = False
    mode: str | None = Field(default=None, max_length=16)
    since_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    last_seen_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    fw: str | None = Field(default=None, max_length=256)    # the contract allows 256 characters
    boot: int | None = Field(default=None, sa_column=Column(BigInteger))
    up_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    # BIGINT: the contract's integers reach 2^53-1 (protocol.spec.UINT_LIMIT).
    buffered: int | None = Field(default=None, sa_column=Column(BigInteger))
    rejected: int | None = Field(default=None, sa_column=Column(BigInteger))   # events acked in rej
    mem_free: int | None = Field(default=None, sa_column=Column(BigInteger))
    rssi: int | None = Field(default=None, sa_column=Column(BigInteger))
    faults: str = Field(default="", max_length=256)     # comma-separated fault codes
    last_reset_cause: str | None = Field(default=None, max_length=16)
    # The pad's heartbeat period, learnt when the pad confirms a `config` command that sets it
    # (host.ingest.batch): the ingest declares the pad off after heartbeat_timeout_factor x heartbeat_s.
    heartbeat_s: int = Field(default=spec.DEFAULT_CONFIG["heartbeat_s"])


class HostDowntime(SQLModel, table=True):
    """A period when a host instance was not running: no evidence either way (R5 d)."""

    id: int | None = Field(default=None, primary_key=True)
    instance: str = Field(max_length=64)
    start_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    end_ms: int = Field(sa_column=Column(BigInteger, nullable=False))


class HostBeat(SQLModel, table=True):
    """Each host instance's pulse: written every few seconds, so that after a crash
    (even ``kill -9``) the next start knows since when the host was down (R5 d)."""

    instance: str = Field(primary_key=True, max_length=64)
    started_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    beat_ms: int = Field(sa_column=Column(BigInteger, nullable=False))

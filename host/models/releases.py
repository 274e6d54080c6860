"""Releases of the pad's program, rollouts of a release to the fleet, and each pad's progress."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Release(SQLModel, table=True):
    """A release kept by the host (files under data_dir/releases/<version>, host.releases.store)."""

    version: str = Field(primary_key=True, max_length=32)
    manifest_sha256: str = Field(max_length=64)     # what the update command carries
    tree_hash: str = Field(max_length=64)           # the release's own hash (its file list)
    min_contract: int = 1
    files: int = 0
    size_bytes: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    created_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_by: str = Field(default="", max_length=64)
    note: str = Field(default="", sa_column=Column(Text, nullable=False))


class Rollout(SQLModel, table=True):
    """`evalpad fleet update`: one release to the listed pads, canary pads first."""

    id: int | None = Field(default=None, primary_key=True)
    release: str = Field(foreign_key="release.version", max_length=32)
    canary: int = 0
    window_time: bool = False        # may run during working hours (R5 calendar)
    max_failed_share: float = 0.2    # stop when this share of the finished pads failed
    state: str = Field(default="running", max_length=16)   # running | stopped | done
    stop_reason: str | None = Field(default=None, sa_column=Column(Text))
    created_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_by: str = Field(default="", max_length=64)
    finished_ms: int | None = Field(default=None, sa_column=Column(BigInteger))


class PadUpdate(SQLModel, table=True):
    """One pad's part in a rollout: waiting -> sent -> ok | failed (or skipped if stopped)."""

    __table_args__ = (UniqueConstraint("rollout_id", "device_id"),
                      Index("ix_padupdate_device", "device_id"))

    id: int | None = Field(default=None, primary_key=True)
    rollout_id: int = Field(foreign_key="rollout.id")
    device_id: str = Field(foreign_key="device.id", max_length=32)
    canary: bool = False
    state: str = Field(default="waiting", max_length=16)
    from_fw: str | None = Field(default=None, max_length=32)
    command_id: str | None = Field(default=None, max_length=32)
    sent_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    done_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    last_error: str | None = Field(default=None, sa_column=Column(Text))

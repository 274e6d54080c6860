"""Commands sent to pads (prompt, pause, display, config, ...) and what each pad answered."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Index, Text
from sqlmodel import Field, SQLModel


class Command(SQLModel, table=True):
    """One command as published on ``<prefix>/<dev>/cmd``; the pad's ``cmd_result`` fills ``result_*``.

    ``body`` is the exact message sent (protocol.messages.command), so what the pad saw can
    always be shown. ``published_ms`` stays None if the broker refused it (``publish_error``).
    """

    __table_args__ = (Index("ix_command_device_created", "device_id", "created_ms"),)

    id: str = Field(primary_key=True, max_length=32)                # "c-" + hex, the wire id
    device_id: str = Field(foreign_key="device.id", max_length=32)
    type: str = Field(max_length=16)
    body: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    expires_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_by: str = Field(default="", max_length=64)
    published_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    publish_error: str | None = Field(default=None, sa_column=Column(Text))
    result_ok: bool | None = None
    result_detail: str | None = Field(default=None, sa_column=Column(Text))
    result_ms: int | None = Field(default=None, sa_column=Column(BigInteger))   # when the pad answered
    result_seq: int | None = Field(default=None, sa_column=Column(BigInteger))  # the cmd_result event

"""The audit trail (R12): every change comes with who, when and why."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Text
from sqlmodel import Field, SQLModel


class AuditEntry(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at_ms: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    actor: str = Field(max_length=64)             # a user name, "cli:<user>", or "system"
    action: str = Field(max_length=64, index=True)  # e.g. "device.add", "violation.confirm"
    subject: str = Field(default="", max_length=128)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))

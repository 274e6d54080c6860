"""Management waivers (R8): the management section waives one deduction with a written reason."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Text
from sqlmodel import Field, SQLModel


class Waiver(SQLModel, table=True):
    """Deduction ``key`` (host.rules.types.deduction_key) of a window and month does not count.

    Revoking keeps the row (R12): ``revoked_ms`` set, with who and why.
    """

    __table_args__ = (Index("ix_waiver_window_month", "window_id", "month"),)

    id: int | None = Field(default=None, primary_key=True)
    window_id: int = Field(foreign_key="window.id")
    month: str = Field(max_length=7)
    key: str = Field(max_length=128, index=True)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    by: str = Field(max_length=64)
    created_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    revoked_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    revoked_by: str | None = Field(default=None, max_length=64)
    revoke_reason: str | None = Field(default=None, sa_column=Column(Text))

"""Monthly volume (业务受理量, R3) imported from the business system, with its import batches.

Every import is kept (R12): a later import for the same window and month supersedes the
earlier one for scoring, and both stay. Volume counted from the queue system's service
sessions is derived on the fly (host.volume), never stored here.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index
from sqlmodel import Field, SQLModel


class VolumeImport(SQLModel, table=True):
    """One imported file: who, when, which file."""

    id: int | None = Field(default=None, primary_key=True)
    imported_by: str = Field(max_length=64)
    imported_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    filename: str = Field(max_length=256)
    sha256: str = Field(max_length=64)
    rows: int = 0


class MonthlyVolume(SQLModel, table=True):
    """V for one window and month, from an import (``source`` = "import")."""

    __table_args__ = (Index("ix_volume_window_month", "window_id", "month"),)

    id: int | None = Field(default=None, primary_key=True)
    window_id: int = Field(foreign_key="window.id")
    month: str = Field(max_length=7)                  # "2026-10"
    volume: int
    source: str = Field(default="import", max_length=8)
    import_id: int | None = Field(default=None, foreign_key="volumeimport.id", index=True)
    row: int | None = None                            # row number in the imported file

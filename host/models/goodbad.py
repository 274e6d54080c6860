"""好差评 (issue 16): bad-review cases (差评工单) and live alerts.

``BadReview``: every bad review (an eval with level 1-2, or "unsatisfied" from a pad without
levels, host.rules.goodbad) opens one case for its window's department (``event_id`` is unique:
opening is idempotent). Its steps are 回访 (call back: outcome, by whom, when), 整改 (what was
changed) and the management section's closure; each step is audited (R12). The deadlines are
dates (Asia/Shanghai) in working days from the center's calendar, fixed when the case opened;
None while the calendar lacks the days (filled by the next sweep once it has them).

``Alert``: a bad review or a burst of unsatisfied ratings at one window, shown on the hall board
and the management page and sent to the optional webhook (``sent_ms``; ``attempts`` so far).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Column, Index, Text
from sqlmodel import Field, SQLModel


class BadReview(SQLModel, table=True):
    __table_args__ = (Index("ix_badreview_window_at", "window_id", "at_ms"),
                      Index("ix_badreview_device_seq", "device_id", "seq"))   # a reason finds its case

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    window_id: int = Field(foreign_key="window.id")
    department: str = Field(default="", max_length=64)
    device_id: str = Field(max_length=32)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    at_ms: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))   # pressed (R10)
    rating: str | None = Field(default=None, max_length=16)
    level: int | None = None
    case_no: str | None = Field(default=None, max_length=40)
    item: str | None = Field(default=None, max_length=40)
    reasons: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reason_event_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    evidence: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # notes added
    opened_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    callback_due: dt.date | None = None
    rectify_due: dt.date | None = None
    callback_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    callback_by: str | None = Field(default=None, max_length=64)
    callback_outcome: str | None = Field(default=None, sa_column=Column(Text))
    rectify_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    rectify_by: str | None = Field(default=None, max_length=64)
    rectify_action: str | None = Field(default=None, sa_column=Column(Text))
    closed_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    closed_by: str | None = Field(default=None, max_length=64)
    close_note: str | None = Field(default=None, sa_column=Column(Text))
    status: str = Field(default="open", max_length=16, index=True)   # open | called_back | rectified | closed


class Alert(SQLModel, table=True):
    __table_args__ = (Index("ix_alert_window_last", "window_id", "last_ms"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=96, unique=True)
    kind: str = Field(max_length=16)                 # bad_review | burst
    window_id: int = Field(foreign_key="window.id")
    first_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    presses: int = 1                                 # presses folded into it
    unsatisfied: int = 1
    ratings: int = 1
    event_ids: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_ms: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    sent_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=256)
    acknowledged_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    acknowledged_by: str | None = Field(default=None, max_length=64)

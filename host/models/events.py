"""What pads said: stored events (unique per device and seq) and refused messages."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, LargeBinary, Text, UniqueConstraint
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
    type: str = Field(max_length=32, index=True)       # contract type, or a later version's (Delivery 6)
    pad_ts_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    at_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    time_derived: bool = False
    received_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    window_id: int | None = Field(default=None, foreign_key="window.id")
    rating: str | None = Field(default=None, max_length=16)
    svc: str | None = Field(default=None, max_length=256)
    # 好差评 mode (issue 16): the five-level answer (1 very unsatisfied .. 5 very satisfied) where the
    # pad has five keys, and the case (办件编号) and service item (事项) the prompt carried on.
    level: int | None = Field(default=None)
    case_no: str | None = Field(default=None, max_length=40, index=True)
    item: str | None = Field(default=None, max_length=40)
    body: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # the validated message


class RejectedMessage(SQLModel, table=True):
    """A payload the host refused or could not place yet; kept with the reason, never thrown away.

    ``raw`` is exactly the bytes that arrived (whatever they are); ``payload`` is a copy for
    people that any database's text can hold (undecodable bytes and NUL as backslash escapes).
    ``seq`` is the event's seq when it could be read: then the pad got an ack (Delivery 5),
    naming it in ``rej`` unless it was only held back (unknown_device, unassigned).
    ``replayed_ms`` is set once a replay stored it (after registration, assignment or a fix).
    """

    # A resent event is looked up by pad and seq (kept once): without it each batch of a busy
    # pad's rejections scanned all of that pad's rows.
    __table_args__ = (Index("ix_rejectedmessage_device_seq", "device_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    received_ms: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    topic: str = Field(max_length=256)
    device_id: str | None = Field(default=None, max_length=64, index=True)
    seq: int | None = Field(default=None, sa_column=Column(BigInteger))
    code: str = Field(max_length=32, index=True)       # protocol.errors code, or unknown_device, ...
    reason: str = Field(sa_column=Column(Text, nullable=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))   # readable copy of raw
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    replayed_ms: int | None = Field(default=None, sa_column=Column(BigInteger))


class EventConflict(SQLModel, table=True):
    """A repeated ``(device_id, seq)`` whose content differs from the stored event (Delivery 6).

    Kept beside the stored event, which it never replaces: ``stored`` is the stored event's
    message, ``body`` the conflicting one (``raw`` its bytes). Each different content is kept
    once (``digest``); the pad fault it raised to IT is ``fault_id``.
    """

    __table_args__ = (UniqueConstraint("device_id", "seq", "digest", name="uq_conflict_device_seq_digest"),)

    id: int | None = Field(default=None, primary_key=True)
    device_id: str = Field(max_length=32, index=True)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    received_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    topic: str = Field(max_length=256)
    stored: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    body: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    digest: str = Field(max_length=64)                 # sha256 of the canonical JSON of body
    fault_id: int | None = Field(default=None, foreign_key="fault.id")


class BootAnchor(SQLModel, table=True):
    """When boot ``boot`` of pad ``device_id`` started, in host time: the anchor of derived times (R10).

    ``boot_ms`` is the pad's clock minus ``up`` where the pad's clock was set in that boot
    (``from_clock``), else the smallest ``received_ms - up`` seen: network delay only makes
    that later, so the smallest is the closest to the truth.
    """

    # Boots dated without a clock, by time: the 无法核对 list (host.violations.unjudged_sessions)
    # reads them on every review page; one row per boot of every pad grows without end.
    __table_args__ = (Index("ix_bootanchor_clock_boot_ms", "from_clock", "boot_ms"),)

    device_id: str = Field(primary_key=True, max_length=32)
    boot: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    boot_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    from_clock: bool = False

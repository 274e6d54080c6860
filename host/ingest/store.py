"""Writing what the ingest learned: events at most once, refused messages never lost."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select, text
from sqlmodel import Session, SQLModel, col

from host.models import Assignment, Device, Event, RejectedMessage

log = logging.getLogger(__name__)

# Reason codes beside protocol.errors.CODES (stable: stored, counted in metrics, matched in tests).
UNKNOWN_DEVICE = "unknown_device"   # no Device row: register it (`evalpad device add`)
UNASSIGNED = "unassigned"           # known, but on no window at the event's time (R10)
UNEXPECTED_KIND = "unexpected_kind"  # a contract topic the host does not take (ack, cmd)
# Held back, not refused: the pad keeps these (no ack) and replay stores them once placed.
REPLAYABLE = (UNKNOWN_DEVICE, UNASSIGNED)


def insert_ignore(session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]],
                  keys: list[str], returning: Sequence[str] = ()) -> list[tuple]:
    """``INSERT ... ON CONFLICT (keys) DO NOTHING`` on SQLite and PostgreSQL; returns ``returning`` rows."""
    if not rows:
        return []
    table = model.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    else:  # pragma: no cover - settings only allow the two
        raise RuntimeError(f"evalpad supports SQLite and PostgreSQL, not {dialect}")
    # executemany (SQLAlchemy batches it as "insertmanyvalues"): the statement is compiled
    # once and cached; a literal multi-row VALUES would be compiled anew for every batch.
    stmt = insert(table).on_conflict_do_nothing(index_elements=keys)
    if returning:
        return [tuple(r) for r in session.execute(stmt.returning(*(table.c[c] for c in returning)),
                                                  list(rows))]
    session.execute(stmt, list(rows))
    return []


def insert_events(session: Session, rows: list[dict[str, Any]]) -> set[tuple[str, int]]:
    """Store events; returns the ``(device_id, seq)`` that are new (the rest were stored before)."""
    # A fixed order keeps two instances inserting the same redelivered events from deadlocking.
    rows = sorted(rows, key=lambda r: (r["device_id"], r["seq"]))
    if rows and session.get_bind().dialect.name == "postgresql":
        return _insert_events_pg(session, rows)
    new = insert_ignore(session, Event, rows, ["device_id", "seq"], returning=("device_id", "seq"))
    return {(d, s) for d, s in new}


_EVENT_COLUMNS = (("device_id", "text"), ("seq", "bigint"), ("boot", "bigint"), ("up_ms", "bigint"),
                  ("type", "text"), ("pad_ts_ms", "bigint"), ("at_ms", "bigint"), ("time_derived", "boolean"),
                  ("received_ms", "bigint"), ("window_id", "integer"), ("rating", "text"), ("svc", "text"),
                  ("body", "text"))
# One statement with one array per column: PostgreSQL parses a few parameters instead of
# thousands (a multi-row VALUES of 500 events cost more in the driver than in the server).
_PG_INSERT_EVENTS = text(
    "INSERT INTO event ({cols}) SELECT {casts} FROM unnest({arrays}) AS r({cols}) "
    "ON CONFLICT (device_id, seq) DO NOTHING RETURNING device_id, seq".format(
        cols=", ".join(c for c, _ in _EVENT_COLUMNS),
        casts=", ".join(f"r.{c}::json" if c == "body" else f"r.{c}" for c, _ in _EVENT_COLUMNS),
        arrays=", ".join(f"CAST(:{c} AS {t}[])" for c, t in _EVENT_COLUMNS)))


def _insert_events_pg(session: Session, rows: list[dict[str, Any]]) -> set[tuple[str, int]]:
    params: dict[str, list[Any]] = {c: [] for c, _ in _EVENT_COLUMNS}
    for r in rows:
        for c, _ in _EVENT_COLUMNS:
            params[c].append(json.dumps(r[c], separators=(",", ":")) if c == "body" else r[c])
    return {(d, s) for d, s in session.execute(_PG_INSERT_EVENTS, params)}


def known_devices(session: Session, devices: Iterable[str]) -> set[str]:
    devices = set(devices)
    if not devices:
        return set()
    return set(session.scalars(select(col(Device.id)).where(col(Device.id).in_(devices))))


def assignments(session: Session, devices: Iterable[str]) -> dict[str, list[Assignment]]:
    out: dict[str, list[Assignment]] = {}
    devices = set(devices)
    if devices:
        for a in session.scalars(select(Assignment).where(col(Assignment.device_id).in_(devices))):
            out.setdefault(a.device_id, []).append(a)
    return out


def window_at(history: list[Assignment], at_ms: int) -> int | None:
    """The window the pad sat on at ``at_ms`` (R10): start inclusive, end exclusive."""
    for a in history:
        if a.start_ms <= at_ms and (a.end_ms is None or at_ms < a.end_ms):
            return a.window_id
    return None


def payload_text(payload: bytes) -> str:
    """The payload as text for people, losing nothing: undecodable bytes become \\xNN escapes."""
    return payload.decode("utf-8", "backslashreplace")


def reject(session: Session, topic: str, payload: bytes, received_ms: int, code: str, reason: str,
           device_id: str | None, state: bool = False) -> None:
    """Keep a refused or held-back message with its reason.

    A held-back event the pad sends again (it resends until acknowledged) is kept once; a
    held-back state (latest wins, it is retained) keeps one row per pad, updated.
    """
    text = payload_text(payload)
    if code in REPLAYABLE:
        q = select(RejectedMessage).where(col(RejectedMessage.device_id) == device_id,
                                          col(RejectedMessage.code) == code,
                                          col(RejectedMessage.replayed_ms).is_(None))
        q = q.where(col(RejectedMessage.topic) == topic) if state else q.where(
            col(RejectedMessage.payload) == text)
        row = session.scalars(q.limit(1)).first()
        if row is not None:
            if state:
                row.payload, row.received_ms, row.reason = text, received_ms, reason
                session.add(row)
            return
    log.info("rejected %s from %s: %s: %s", topic, device_id or "?", code, reason)
    session.add(RejectedMessage(received_ms=received_ms, topic=topic[:256], device_id=device_id,
                                code=code, reason=reason, payload=text))

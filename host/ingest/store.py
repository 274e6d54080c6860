"""Writing what the ingest learned: events at most once, refused messages never lost."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from sqlalchemy import Table, bindparam, insert, select, text
from sqlmodel import Session, SQLModel, col

from host.models import Assignment, Device, Event, EventConflict, RejectedMessage

log = logging.getLogger(__name__)

# Reason codes beside protocol.errors.CODES (stable: stored, counted in metrics, matched in tests).
UNKNOWN_DEVICE = "unknown_device"   # no Device row: register it (`evalpad device add`)
UNASSIGNED = "unassigned"           # known, but on no window at the event's time (R10)
UNEXPECTED_KIND = "unexpected_kind"  # a contract topic the host does not take (ack, cmd)
# Held back, not refused: acknowledged without rej (Delivery 5), stored by replay once the
# pad is registered or assigned.
REPLAYABLE = (UNKNOWN_DEVICE, UNASSIGNED)


def insert_ignore(session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]],
                  keys: list[str], returning: Sequence[str] = ()) -> list[tuple]:
    """``INSERT ... ON CONFLICT (keys) DO NOTHING`` on SQLite and PostgreSQL; returns ``returning`` rows."""
    if not rows:
        return []
    stmt = _insert_ignore(model.__table__, session.get_bind().dialect.name,  # type: ignore[attr-defined]
                          tuple(keys), tuple(returning))
    if returning:
        return [tuple(r) for r in session.execute(stmt, list(rows))]
    session.execute(stmt, list(rows))
    return []


@functools.cache
def _insert_ignore(table: Table, dialect: str, keys: tuple[str, ...], returning: tuple[str, ...]) -> Any:
    """The statement, built once per table (the ingest runs it with every batch). Run as
    executemany (SQLAlchemy batches it as "insertmanyvalues"): compiled once and cached; a
    literal multi-row VALUES would be compiled anew for every batch."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    else:  # pragma: no cover - settings only allow the two
        raise RuntimeError(f"evalpad supports SQLite and PostgreSQL, not {dialect}")
    stmt = insert(table).on_conflict_do_nothing(index_elements=list(keys))
    return stmt.returning(*(table.c[c] for c in returning)) if returning else stmt


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
                  ("level", "integer"), ("case_no", "text"), ("item", "text"), ("body", "text"))
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
            # .get: optional columns (level, case_no, item) may be left out, as on SQLite's path
            params[c].append(json.dumps(r[c], separators=(",", ":")) if c == "body" else r.get(c))
    return {(d, s) for d, s in session.execute(_PG_INSERT_EVENTS, params)}


# Read with every batch: built once, the pads' ids bound as a list.
_KNOWN = select(col(Device.id)).where(col(Device.id).in_(bindparam("devices", expanding=True)))
_ASSIGNED = select(*(Assignment.__table__.c[c]  # type: ignore[attr-defined]
                     for c in ("device_id", "start_ms", "end_ms", "window_id"))).where(
    col(Assignment.device_id).in_(bindparam("devices", expanding=True)))


def known_devices(session: Session, devices: Iterable[str]) -> set[str]:
    devices = set(devices)
    if not devices:
        return set()
    return set(session.scalars(_KNOWN, {"devices": list(devices)}))


class Placement(Protocol):
    """What attribution reads of an assignment (R10): an ``Assignment`` or a plain row of it."""

    @property
    def start_ms(self) -> int: ...
    @property
    def end_ms(self) -> int | None: ...
    @property
    def window_id(self) -> int: ...


def assignments(session: Session, devices: Iterable[str]) -> dict[str, list[Placement]]:
    """The assignment history of each pad, as plain rows (every batch with events reads it)."""
    out: dict[str, list[Placement]] = {}
    devices = set(devices)
    if devices:
        for a in session.execute(_ASSIGNED, {"devices": list(devices)}):
            out.setdefault(a.device_id, []).append(a)
    return out


def window_at(history: Sequence[Placement], at_ms: int) -> int | None:
    """The window the pad sat on at ``at_ms`` (R10): start inclusive, end exclusive."""
    for a in history:
        if a.start_ms <= at_ms and (a.end_ms is None or at_ms < a.end_ms):
            return a.window_id
    return None


def payload_text(payload: bytes) -> str:
    """The payload as text for people, losing nothing the raw bytes do not keep anyway:
    undecodable bytes become \\xNN escapes, and so does NUL (PostgreSQL text cannot hold it)."""
    return payload.decode("utf-8", "backslashreplace").replace("\x00", "\\x00")


def safe_text(value: str) -> str:
    """Any str (lone surrogates, NUL) as text every database stores: both as backslash escapes."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def rejection(topic: str, payload: bytes, received_ms: int, code: str, reason: str, device_id: str | None,
              seq: int | None = None, state: bool = False) -> dict[str, Any]:
    """A RejectedMessage row: the raw bytes as they came, and text that can always be stored."""
    return {"received_ms": received_ms, "topic": safe_text(topic)[:256], "device_id": device_id,
            "seq": seq, "code": code, "reason": safe_text(reason), "payload": payload_text(payload),
            "raw": bytes(payload), "state": state}


def keep_rejected(session: Session, rows: list[dict[str, Any]]) -> int:
    """Keep refused or held-back messages; returns how many rows were written.

    An event the pad sends again (after a lost ack, or a redelivery) is kept once: a pending
    row of the same pad, seq, code and bytes stands. A held-back state (latest wins, it is
    retained) keeps one pending row per pad, updated.
    """
    if not rows:
        return 0
    fresh: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    keyed = [r for r in rows if r["seq"] is not None and not r["state"]]
    if keyed:
        q = select(col(RejectedMessage.device_id), col(RejectedMessage.seq), col(RejectedMessage.code),
                   col(RejectedMessage.raw)).where(
            col(RejectedMessage.device_id).in_({r["device_id"] for r in keyed}),
            col(RejectedMessage.seq).in_({r["seq"] for r in keyed}),
            col(RejectedMessage.replayed_ms).is_(None))
        seen = {tuple(r) for r in session.execute(q)}
    for r in rows:
        if r["state"] and r["code"] in REPLAYABLE and _update_held_state(session, r):
            continue
        key = (r["device_id"], r["seq"], r["code"], r["raw"])
        if r["seq"] is not None and not r["state"]:
            if key in seen:
                continue
            seen.add(key)
        log.info("rejected %s from %s: %s: %s", r["topic"], r["device_id"] or "?", r["code"], r["reason"])
        fresh.append({k: v for k, v in r.items() if k != "state"})
    if fresh:   # Core executemany: one statement for the batch
        session.execute(insert(RejectedMessage.__table__), fresh)  # type: ignore[attr-defined]
    return len(fresh)


def _update_held_state(session: Session, r: dict[str, Any]) -> bool:
    row = session.scalars(select(RejectedMessage).where(
        col(RejectedMessage.device_id) == r["device_id"], col(RejectedMessage.code) == r["code"],
        col(RejectedMessage.topic) == r["topic"],
        col(RejectedMessage.replayed_ms).is_(None)).limit(1)).first()
    if row is None:
        return False
    row.payload, row.raw, row.received_ms, row.reason = r["payload"], r["raw"], r["received_ms"], r["reason"]
    session.add(row)
    return True


def canonical(msg: Any) -> str:
    """The parsed message as one string: equal for the same content whatever the bytes were
    (whitespace, key order, escapes); ``true`` and ``1`` stay different."""
    return json.dumps(msg, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def stored_bodies(session: Session, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], dict]:
    """The stored message of each ``(device_id, seq)`` that is stored."""
    keys = set(keys)
    if not keys:
        return {}
    q = select(col(Event.device_id), col(Event.seq), col(Event.body)).where(
        col(Event.device_id).in_({d for d, _ in keys}), col(Event.seq).in_({s for _, s in keys}))
    return {(d, s): b for d, s, b in session.execute(q) if (d, s) in keys}


def keep_conflicts(session: Session, rows: list[dict[str, Any]]) -> list[tuple[int, str, int]]:
    """Keep conflicting events (each different content once); returns ``(id, device_id, seq)``
    of those kept now (the others were kept before)."""
    for r in rows:
        r["digest"] = hashlib.sha256(canonical(r["body"]).encode()).hexdigest()
    # Within one batch the same conflicting content may come twice: once is enough.
    unique = list({(r["device_id"], r["seq"], r["digest"]): r for r in rows}.values())
    kept = insert_ignore(session, EventConflict, unique, ["device_id", "seq", "digest"],
                         returning=("id", "device_id", "seq"))
    return [(i, d, s) for i, d, s in kept]

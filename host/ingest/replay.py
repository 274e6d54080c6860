"""Replay kept messages once their cause is fixed (protocol.md Delivery 5: acknowledging a
rejection never loses a press).

Events held back (``unknown_device``, ``unassigned``) wait for the pad's registration or
assignment; rejected ones (a contract refusal, ``host_error``) for a fix of the host or a
later contract. Either way the pad has its ack and has dropped them, so the host's row
(``RejectedMessage.raw``, the bytes as they came) is the only copy: replay runs it through
the same checks as live ingest. What is placed now (stored, already stored, or kept as a
conflict) is marked ``replayed_ms``; ``(dev, seq)`` is unique, so replaying twice never
stores twice. What is refused again stays pending with its first reason.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from host import audit
from host.clock import Clock
from host.errors import Invalid
from host.ingest.acking import ack_payloads
from host.ingest.batch import BatchProcessor, Outcome
from host.ingest.inbox import Received
from host.ingest.liveness import Liveness
from host.models import RejectedMessage
from protocol import spec, topics

log = logging.getLogger(__name__)

Publish = Callable[..., None]
MAX_IDS = 1000      # one replay request names at most this many rows


@dataclass
class ReplayResult:
    """``replayed``: rows placed now; ``stored``/``duplicates``/``conflicts`` split them;
    ``still``: rows refused again, by code; ``skipped``: rows that are no event (states,
    topics outside the contract) or were replayed before."""

    replayed: int = 0
    stored: int = 0
    duplicates: int = 0
    conflicts: int = 0
    still: Counter[str] = field(default_factory=Counter)
    skipped: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"replayed": self.replayed, "stored": self.stored, "duplicates": self.duplicates,
                "conflicts": self.conflicts, "still": dict(self.still), "skipped": self.skipped}


def replay_rejected(engine: Engine, clock: Clock, *, device: str | None = None,
                    ids: Sequence[int] | None = None, code: str | None = None, publish: Publish | None = None,
                    prefix: str = spec.PREFIX, actor: str | None = None, reason: str = "") -> ReplayResult:
    """Replay the pending kept events that match (``device``, ``ids``, ``code``; all given
    filters apply). With ``actor`` the replay is audited (R12) in the same commit.

    ``publish`` (the ingest client's) sends the pads acks for what is placed: they already
    had one when it was recorded, unless it was held before acks of held events existed.
    """
    processor = BatchProcessor(Liveness(3.0, "replay"), prefix=prefix)
    result = ReplayResult()
    with Session(engine) as session:
        q = select(RejectedMessage).order_by(col(RejectedMessage.received_ms), col(RejectedMessage.id))
        if device is not None:
            q = q.where(col(RejectedMessage.device_id) == device)
        if code is not None:
            q = q.where(col(RejectedMessage.code) == code)
        if ids is not None:
            q = q.where(col(RejectedMessage.id).in_(list(ids)))
        else:
            q = q.where(col(RejectedMessage.replayed_ms).is_(None))
        rows = []
        for row in session.scalars(q):
            if row.replayed_ms is not None or not _is_event_topic(row.topic, prefix):
                result.skipped += 1
            else:
                rows.append(row)
        out = placed_acks = Outcome()
        if rows:
            items = [Received(topic=r.topic, payload=r.raw, received_ms=r.received_ms, mid=0, qos=0,
                              retained=False, generation=0) for r in rows]
            out = processor.process(session, items, replay=True)
            now = clock.now_ms()
            placed = set(out.placed)
            for i, row in enumerate(rows):
                if i in placed:
                    row.replayed_ms = now
                    session.add(row)
                    result.replayed += 1
                else:
                    result.still[out.fate.get(i, "")] += 1
            result.stored, result.duplicates, result.conflicts = out.stored, out.duplicates, out.conflicts
            placed_acks = out.only(placed)
        if actor is not None:
            audit.record(session, at_ms=clock.now_ms(), actor=actor, action="rejected.replay",
                         subject=_subject(device, ids, code), reason=reason, **result.as_dict())
        session.commit()
    log.info("replay (device=%s ids=%s code=%s): %s", device, list(ids) if ids else None, code,
             result.as_dict())
    if publish is not None:
        for dev, seqs in placed_acks.acks.items():
            for payload in ack_payloads(seqs, placed_acks.rej.get(dev)):
                publish(topics.topic(dev, spec.ACK, prefix), payload)
    return result


HELD_REASON = "the pad is registered or assigned now"


def replay_request(engine: Engine, clock: Clock, actor: str, *, device: str | None = None,
                   ids: Sequence[int] | None = None, code: str | None = None, reason: str = "",
                   publish: Publish | None = None, prefix: str = spec.PREFIX) -> ReplayResult:
    """A person's replay (CLI, API, IT page): checked, then replayed and audited (R12).

    A pad's pending events may be replayed without a reason (what follows its registration
    or assignment); naming rows or a code means a cause was fixed, so say which.
    """
    if device is None and not ids and code is None:
        raise Invalid("请指定要重放哪些消息：评价器、拒收消息编号或拒收原因代码",
                      "如 --device qp-0107，或用 evalpad rejected list 查到的编号")
    if ids is not None and len(ids) > MAX_IDS:
        raise Invalid(f"每次最多重放 {MAX_IDS} 条，现在给了 {len(ids)} 条", "请改为按评价器或原因代码重放")
    reason = reason.strip()
    if not reason:
        if ids or code is not None:
            raise Invalid("重放拒收消息必须写明原因（R12）",
                          "写明修好了什么，如“主机已升级到 1.0.1，能保存这个字段”")
        reason = HELD_REASON
    return replay_rejected(engine, clock, device=device, ids=ids, code=code, publish=publish, prefix=prefix,
                           actor=actor, reason=reason)


def replay_for_device(engine: Engine, device_id: str, clock: Clock, publish: Publish | None = None,
                      prefix: str = spec.PREFIX) -> int:
    """Replay ``device_id``'s pending events (after its registration or assignment); returns
    how many were placed."""
    return replay_rejected(engine, clock, device=device_id, publish=publish, prefix=prefix).replayed


def _is_event_topic(topic: str, prefix: str) -> bool:
    try:
        return topics.parse_topic(topic, prefix)[1] == spec.EVENT
    except ValueError:
        return False


def _subject(device: str | None, ids: Sequence[int] | None, code: str | None) -> str:
    parts = [f"device:{device}"] if device else []
    if code:
        parts.append(f"code:{code}")
    if ids is not None:
        parts.append("rejected:" + ",".join(str(i) for i in list(ids)[:20]) + ("…" if len(ids) > 20 else ""))
    return " ".join(parts)[:128] or "rejected:all"

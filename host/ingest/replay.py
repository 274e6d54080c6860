"""Store what was held back for a pad once it is registered or assigned (issue 4: "Nothing is thrown away").

Events of an unknown pad, or of a pad on no window at the event's time (R10), are kept as
``RejectedMessage`` rows (``unknown_device``, ``unassigned``) and not acknowledged, so the
pad keeps them too. After an admin registers or assigns the pad, the API calls
``replay_for_device``: each held-back event goes through the same checks as live ingest and
is stored at most once (a copy the pad resent meanwhile is a duplicate); the rows stay,
marked ``replayed_ms``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from host.clock import Clock
from host.ingest.batch import BatchProcessor, find_record_result
from host.ingest.inbox import Received
from host.ingest.liveness import Liveness
from host.ingest.store import REPLAYABLE
from host.ingest.writer import ack_payloads
from host.models import RejectedMessage
from protocol import spec, topics

log = logging.getLogger(__name__)

Publish = Callable[..., None]


def replay_for_device(engine: Engine, device_id: str, clock: Clock, publish: Publish | None = None,
                      prefix: str = spec.PREFIX) -> int:
    """Re-ingest ``device_id``'s held-back events; returns how many rows were placed (marked replayed).

    ``publish`` (the ingest client's) sends the pad an ack for them right away; without it
    the pad gets it when it next resends them (after its next reconnect).
    """
    processor = BatchProcessor(Liveness(3.0, "replay"), prefix=prefix, record_result=find_record_result())
    with Session(engine) as session:
        rows = list(session.scalars(select(RejectedMessage).where(
            col(RejectedMessage.device_id) == device_id, col(RejectedMessage.code).in_(REPLAYABLE),
            col(RejectedMessage.replayed_ms).is_(None), col(RejectedMessage.topic).endswith("/event"))
            .order_by(col(RejectedMessage.received_ms), col(RejectedMessage.id))))
        if not rows:
            return 0
        items = [Received(topic=r.topic, payload=r.payload.encode("utf-8"),
                          received_ms=r.received_ms, mid=0, qos=0, retained=False, generation=0)
                 for r in rows]
        out = processor.process(session, items, replay=True)
        now = clock.now_ms()
        for i in out.placed:
            rows[i].replayed_ms = now
            session.add(rows[i])
        session.commit()
    log.info("replayed %s of %s held-back events of pad %s (%s newly stored)", len(set(out.placed)),
             len(rows), device_id, out.stored)
    if publish is not None:
        for dev, seqs in out.acks.items():
            for payload in ack_payloads(seqs):
                publish(topics.topic(dev, spec.ACK, prefix), payload)
    return len(set(out.placed))

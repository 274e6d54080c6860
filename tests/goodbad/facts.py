"""Facts for the 好差评 tests, stored as the ingest stores them: Event rows with level, case
number and item (contract-16), and ``reason`` events naming the evaluation they explain."""

from __future__ import annotations

from itertools import count

from host.models import Event
from tests.scoring.world import World

_seq = count(10_000, 2)  # odd seqs are left for reasons


def press(
    world: World,
    dev: str,
    window_id: int | None,
    at_ms: int,
    *,
    level: int | None = None,
    rating: str | None = None,
    case_no: str | None = None,
    item: str | None = None,
    received_ms: int | None = None,
) -> Event:
    """One evaluation: ``level`` 1-5 (rating follows it: 3-5 satisfied) or a two-level ``rating``."""
    if rating is None:
        assert level is not None
        rating = "satisfied" if level >= 3 else "unsatisfied"
    seq = next(_seq)
    body: dict = {"v": 1, "seq": seq, "type": "eval", "rating": rating, "prompted": True}
    if level is not None:
        body["level"] = level
    with world.session() as s:
        e = Event(
            device_id=dev,
            seq=seq,
            boot=1,
            up_ms=seq,
            type="eval",
            pad_ts_ms=at_ms,
            at_ms=at_ms,
            received_ms=received_ms if received_ms is not None else at_ms + 50,
            window_id=window_id,
            rating=rating,
            level=level,
            case_no=case_no,
            item=item,
            body=body,
        )
        s.add(e)
        s.commit()
        s.refresh(e)
        return e


def reason(world: World, of: Event, reasons: list[str], after_ms: int = 5_000) -> Event:
    seq = of.seq + 1
    with world.session() as s:
        at = of.at_ms + after_ms
        e = Event(
            device_id=of.device_id,
            seq=seq,
            boot=1,
            up_ms=seq,
            type="reason",
            pad_ts_ms=at,
            at_ms=at,
            received_ms=at + 50,
            window_id=of.window_id,
            body={"v": 1, "seq": seq, "type": "reason", "of": of.seq, "reasons": reasons},
        )
        s.add(e)
        s.commit()
        s.refresh(e)
        return e

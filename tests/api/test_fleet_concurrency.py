"""R10 under concurrency: moves of one pad racing each other leave one open interval and a
history without overlaps, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import threading

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from host import fleet
from host.clock import ManualClock
from host.db import make_engine, upgrade
from host.errors import Conflict
from host.models import Assignment

T0 = 1_795_600_000_000
RACERS = 6


def test_racing_moves_of_one_pad_keep_one_open_interval(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    clock = ManualClock(T0)
    with Session(engine) as s:
        for i in range(RACERS):
            fleet.add_window(s, number=f"W{i}", name=f"窗口 {i}", clock=clock, actor="test")
        fleet.add_device(s, device_id="pad-1", window_number="W0", clock=clock, actor="test")
        s.commit()
    start = threading.Barrier(RACERS - 1)
    outcomes: list[str] = []

    def move(i: int) -> None:
        with Session(engine) as s:
            start.wait()
            clock.advance(1)  # each racer moves at its own millisecond
            try:
                fleet.assign(s, device_id="pad-1", window_number=f"W{i}", clock=clock, actor=f"racer{i}")
                s.commit()
                outcomes.append("moved")
            except (
                IntegrityError,
                OperationalError,
                Conflict,
            ) as exc:  # lost the race: told, nothing written
                s.rollback()
                outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=move, args=(i,)) for i in range(1, RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with Session(engine) as s:
        hist = list(
            s.exec(
                select(Assignment)
                .where(Assignment.device_id == "pad-1")
                .order_by(col(Assignment.start_ms), col(Assignment.id))
            )
        )
    engine.dispose()
    assert "moved" in outcomes and len(outcomes) == RACERS - 1
    assert [a.end_ms is None for a in hist].count(True) == 1, [(a.start_ms, a.end_ms) for a in hist]
    assert hist[-1].end_ms is None
    for before, after in itertools.pairwise(hist):
        assert before.end_ms is not None and before.end_ms <= after.start_ms, [
            (a.start_ms, a.end_ms) for a in hist
        ]
    assert len(hist) == 1 + outcomes.count("moved")

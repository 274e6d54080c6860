"""Benchmark (not a test): what keeping the daily counts costs the ingest's insert.

The ingest stores a batch with host.ingest.store.insert_events in one transaction; the triggers of
migration 0007 add each stored evaluation to its window's day (host.models.counts) in that
transaction. This times the same batches (500 evaluations of 200 pads on their windows, one
commit each, as the writer does) into a fresh migrated database with the triggers and again
with them dropped, on SQLite and PostgreSQL, alternating rounds so machine load hits both alike.

    .venv/bin/python bench/counts_ingest_bench.py                  # both databases
    .venv/bin/python bench/counts_ingest_bench.py --db sqlite --batches 20
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text
from sqlmodel import Session

from host.db import make_engine, upgrade
from host.ingest.store import insert_events
from host.models.counts import TRIGGERS

PG_ADMIN_URL = os.environ.get("EVALPAD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PADS = 200
BATCH = 500
T0 = 1_795_000_000_000          # 2026-11-18 (Asia/Shanghai)


def setup(url: str) -> None:
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        s.execute(text("INSERT INTO \"window\" (id, number, name, department, category, active) VALUES "
                       + ", ".join(f"({w}, 'W{w}', 'w', '', 'general', true)" for w in range(1, PADS + 1))))
        s.commit()
    engine.dispose()


def drop_triggers(url: str) -> None:
    engine = make_engine(url)
    with Session(engine) as s:
        dialect = s.get_bind().dialect.name
        for name in TRIGGERS[dialect]:
            s.execute(text(f"DROP TRIGGER {name}" + (" ON event" if dialect == "postgresql" else "")))
        s.commit()
    engine.dispose()


def rows(batch: int) -> list[dict]:
    out = []
    for i in range(BATCH):
        n = batch * BATCH + i
        w = n % PADS + 1
        at = T0 + n * 1000
        out.append({"device_id": f"pad-{w:04d}", "seq": n, "boot": 1, "up_ms": n, "type": "eval",
                    "pad_ts_ms": at, "at_ms": at, "time_derived": False, "received_ms": at + 40,
                    "window_id": w,
                    "rating": "satisfied" if n % 7 else "unsatisfied", "svc": None,
                    "body": {"v": 1, "type": "eval", "rating": "satisfied", "prompted": True}})
    return out


def run_batches(url: str, first: int, count: int) -> tuple[float, float]:
    """Events per second (wall) and this process's CPU ms per 1,000 events for ``count`` batches,
    each its own transaction (SQLite's work is in this process; PostgreSQL's server is not)."""
    engine = make_engine(url)
    try:
        batches = [rows(first + b) for b in range(count)]
        t, c = time.perf_counter(), time.process_time()
        for b in batches:
            with Session(engine) as s:
                insert_events(s, b)
                s.commit()
        n = count * BATCH
        return n / (time.perf_counter() - t), 1e6 * (time.process_time() - c) / n
    finally:
        engine.dispose()


def measure(db: str, with_url: str, without_url: str, batches: int, rounds: int) -> None:
    setup(with_url)
    setup(without_url)
    drop_triggers(without_url)
    kept, bare = [], []
    for r in range(rounds):           # alternating which goes first
        if r % 2:
            bare.append(run_batches(without_url, r * batches, batches))
        kept.append(run_batches(with_url, r * batches, batches))
        if not r % 2:
            bare.append(run_batches(without_url, r * batches, batches))
    k, b = statistics.median(x[0] for x in kept), statistics.median(x[0] for x in bare)
    kc, bc = statistics.median(x[1] for x in kept), statistics.median(x[1] for x in bare)
    print(f"[{db}] load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"[{db}] {rounds} rounds x {batches} batches x {BATCH} evaluations, {PADS} windows")
    print(f"[{db}]   insert_events with the daily-count triggers: median {k:,.0f} events/s, "
          f"CPU here {kc:.0f} ms per 1,000")
    print(f"[{db}]   the same without them:                       median {b:,.0f} events/s, "
          f"CPU here {bc:.0f} ms per 1,000")
    print(f"[{db}]   rate with the counts kept: {100 * k / b:.0f}% of the rate without")
    sys.stdout.flush()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    p.add_argument("--batches", type=int, default=20)
    p.add_argument("--rounds", type=int, default=6)
    args = p.parse_args()
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="evalpad-counts-") as tmp:
            measure("sqlite", f"sqlite:///{tmp}/with.db", f"sqlite:///{tmp}/without.db", args.batches,
                    args.rounds)
    if args.db in ("postgresql", "both"):
        import psycopg

        names = ["evalpad_cbench_" + uuid.uuid4().hex[:8] for _ in range(2)]
        base = PG_ADMIN_URL.split("://", 1)[1].rsplit("/", 1)[0]
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            for n in names:
                admin.execute(f'CREATE DATABASE "{n}"')
            try:
                with_url, without_url = (f"postgresql+psycopg://{base}/{n}" for n in names)
                measure("postgresql", with_url, without_url, args.batches, args.rounds)
            finally:
                for n in names:
                    admin.execute(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)')


if __name__ == "__main__":
    main()

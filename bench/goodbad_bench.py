"""Benchmark (not a test): what 好差评 (issue 16) costs on SQLite (or PostgreSQL: --db postgresql).

- the month's evaluation counts (host.scoring.facts.tallies) with the five per-level sums the
  five-level mode needs, against the same query without them (the monthly report reads it once);
- the month's national rates (host.scoring.national.load);
- the live watch's look at a batch of new evaluations (host.goodbad.watch.check: cases opened
  for the bad ones, alerts), and the sweep's catch-up over a day (cases.open_since, all open).

    .venv/bin/python bench/goodbad_bench.py                      # 500 windows x 600 evaluations
    .venv/bin/python bench/goodbad_bench.py --windows 100 --evals 300 [--db postgresql]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time as walltime
from datetime import date, datetime, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from host.calendar.config import load_config
from host.clock import RULES_TZ, to_ms
from host.db import make_engine, upgrade
from host.goodbad import cases
from host.goodbad.watch import check
from host.models import Event, Window
from host.rules.month_span import month_span
from host.scoring import facts, national
from tests.support.services import throwaway_postgres

MONTH = "2026-11"
NOW = to_ms(datetime.combine(date(2026, 11, 30), time(18), tzinfo=RULES_TZ))


def fill(engine: Engine, windows: int, evals: int) -> int:
    """Windows and a month of five-level evaluations (~46 % at levels 1-2: a harsh month)."""
    start = to_ms(datetime.combine(date(2026, 11, 2), time(8, 30), tzinfo=RULES_TZ))
    span = NOW - start
    with engine.begin() as con:
        con.execute(
            insert(Window.__table__),  # type: ignore[attr-defined]
            [
                {
                    "id": w,
                    "number": f"W{w:04d}",
                    "name": f"窗口{w}",
                    "department": "部门",
                    "category": "general",
                    "active": True,
                }
                for w in range(1, windows + 1)
            ],
        )
    rows = []
    for w in range(1, windows + 1):
        for k in range(evals):
            at = start + (k * span) // evals + w
            level = 1 + (k * 7 + w) % 5 if (k * 3 + w) % 10 else 2
            rating = "satisfied" if level >= 3 else "unsatisfied"
            rows.append(
                {
                    "device_id": f"pad-{w:04d}",
                    "seq": k + 1,
                    "boot": 1,
                    "up_ms": k,
                    "type": "eval",
                    "pad_ts_ms": at,
                    "at_ms": at,
                    "time_derived": False,
                    "received_ms": at + 40,
                    "window_id": w,
                    "rating": rating,
                    "level": level,
                    "case_no": f"C{w}-{k}",
                    "item": "事项",
                    "body": {"v": 1, "seq": k + 1, "type": "eval", "rating": rating, "level": level},
                }
            )
    for k in range(0, len(rows), 20_000):
        with engine.begin() as con:
            con.execute(insert(Event.__table__), rows[k : k + 20_000])  # type: ignore[attr-defined]
    with engine.begin() as con:
        con.execute(text("ANALYZE"))
    return len(rows)


def timed(fn, runs: int = 3) -> float:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(runs):
        t = walltime.perf_counter()
        fn()
        out.append(walltime.perf_counter() - t)
    return statistics.median(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--windows", type=int, default=500)
    ap.add_argument("--evals", type=int, default=600)
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    a = ap.parse_args()
    if a.db == "sqlite":
        with tempfile.TemporaryDirectory() as d:
            run(f"sqlite:///{Path(d) / 'bench.db'}", a.windows, a.evals)
    else:
        with throwaway_postgres() as url:
            run(url, a.windows, a.evals)


def run(url: str, windows: int, evals: int) -> None:
    upgrade(url)
    engine = make_engine(url)
    t = walltime.perf_counter()
    n = fill(engine, windows, evals)
    print(
        f"{url.split(':')[0]}: {n} evaluations at {windows} windows generated in "
        f"{walltime.perf_counter() - t:.1f} s"
    )
    span = month_span(MONTH)
    with Session(engine) as s:
        with_levels = timed(lambda: facts.tallies(s, span, levels=True))
        without = timed(lambda: facts.tallies(s, span, levels=False))
        print(
            f"tallies: {with_levels * 1000:.0f} ms with the per-level sums (five-level mode), "
            f"{without * 1000:.0f} ms without (two-level mode)"
        )
        print(f"national rates (load): {timed(lambda: national.load(s, MONTH, NOW)) * 1000:.0f} ms")
        t = walltime.perf_counter()
        _, found, opened = check(s, after_id=n - 1000, now_ms=NOW)
        print(
            f"watch check of 1000 new evaluations: {(walltime.perf_counter() - t) * 1000:.0f} ms "
            f"({opened} cases opened, {len(found)} alerts)"
        )
        cfg = load_config(s)
        t = walltime.perf_counter()
        opened = cases.open_since(s, cfg, NOW - 86_400_000, NOW)
        print(
            f"sweep catch-up over a day: {(walltime.perf_counter() - t) * 1000:.0f} ms "
            f"({opened} cases opened, {cases.CHUNK} per commit)"
        )
        t = walltime.perf_counter()
        cases.open_since(s, cfg, NOW - 86_400_000, NOW)
        print(f"sweep catch-up again (nothing new): {(walltime.perf_counter() - t) * 1000:.0f} ms")
    engine.dispose()


if __name__ == "__main__":
    main()

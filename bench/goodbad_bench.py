"""Benchmark (not a test): what 好差评 (issue 16) costs on SQLite.

- the month's evaluation counts (host.scoring.facts.tallies) with the five per-level sums the
  five-level mode needs, against the same query without them (the monthly report reads it once);
- the month's national rates (host.scoring.national.load);
- the live watch's look at a batch of new evaluations (host.goodbad.watch.check: cases opened
  for the bad ones, alerts), and the sweep's catch-up over a day (cases.open_since, all open).

    .venv/bin/python bench/goodbad_bench.py                      # 500 windows x 600 evaluations
    .venv/bin/python bench/goodbad_bench.py --windows 100 --evals 300
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time as walltime
from datetime import date, datetime, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session

from host.calendar.config import load_config
from host.clock import RULES_TZ, to_ms
from host.db import make_engine, upgrade
from host.goodbad import cases
from host.goodbad.watch import check
from host.rules.month_span import month_span
from host.scoring import facts, national

MONTH = "2026-11"
NOW = to_ms(datetime.combine(date(2026, 11, 30), time(18), tzinfo=RULES_TZ))


def fill(path: Path, windows: int, evals: int) -> int:
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    with con:
        con.executemany(
            "INSERT INTO window (id, number, name, department, category, active) VALUES (?,?,?,?,?,?)",
            [(w, f"W{w:04d}", f"窗口{w}", "部门", "general", True) for w in range(1, windows + 1)],
        )
    start = to_ms(datetime.combine(date(2026, 11, 2), time(8, 30), tzinfo=RULES_TZ))
    span = NOW - start
    rows = []
    for w in range(1, windows + 1):
        for k in range(evals):
            at = start + (k * span) // evals + w
            level = 1 + (k * 7 + w) % 5 if (k * 3 + w) % 10 else 2  # ~28 % levels 1-2
            rating = "satisfied" if level >= 3 else "unsatisfied"
            body = json.dumps({"v": 1, "seq": k + 1, "type": "eval", "rating": rating, "level": level})
            rows.append(
                (
                    f"pad-{w:04d}",
                    k + 1,
                    1,
                    k,
                    "eval",
                    at,
                    at,
                    False,
                    at + 40,
                    w,
                    rating,
                    level,
                    f"C{w}-{k}",
                    "事项",
                    body,
                )
            )
    with con:
        con.executemany(
            "INSERT INTO event (device_id, seq, boot, up_ms, type, pad_ts_ms, at_ms, "
            "time_derived, "
            "received_ms, window_id, rating, level, case_no, item, body) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
    con.execute("ANALYZE")
    con.close()
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
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "bench.db"
        upgrade(f"sqlite:///{path}")
        t = walltime.perf_counter()
        n = fill(path, a.windows, a.evals)
        print(f"{n} evaluations at {a.windows} windows generated in {walltime.perf_counter() - t:.1f} s")
        engine = make_engine(f"sqlite:///{path}")
        span = month_span(MONTH)
        with Session(engine) as s:
            with_levels = timed(lambda: facts.tallies(s, span, levels=True))
            without = timed(lambda: facts.tallies(s, span, levels=False))
            print(
                f"tallies: {with_levels * 1000:.0f} ms with the per-level sums (five-level mode), "
                f"{without * 1000:.0f} ms without (two-level mode)"
            )
            print(f"national rates (load): {timed(lambda: national.load(s, MONTH, NOW)) * 1000:.0f} ms")
            last = n - 1000
            t = walltime.perf_counter()
            _, found, opened = check(s, after_id=last, now_ms=NOW)
            print(
                f"watch check of 1000 new evaluations: {(walltime.perf_counter() - t) * 1000:.0f} ms "
                f"({opened} cases opened, {len(found)} alerts)"
            )
            cfg = load_config(s)
            t = walltime.perf_counter()
            opened = cases.open_since(s, cfg, NOW - 86_400_000, NOW)
            print(
                f"sweep catch-up over a day: {(walltime.perf_counter() - t) * 1000:.0f} ms "
                f"({opened} cases opened)"
            )
            t = walltime.perf_counter()
            opened = cases.open_since(s, cfg, NOW - 86_400_000, NOW)
            print(f"sweep catch-up again (nothing new): {(walltime.perf_counter() - t) * 1000:.0f} ms")
        engine.dispose()


if __name__ == "__main__":
    main()

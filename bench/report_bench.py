"""Benchmark (not a test): the monthly report for 2,000 windows x 3,000 evaluations (6 million
events) on SQLite and PostgreSQL, and a "month so far" view of one window.

Targets: the whole month under 1 s (issue 15; issue 5 asked 5 s); one window's month so far under
200 ms. N and S come from the daily counts the database keeps beside the events (host.models.counts),
so the events' number no longer matters; what remains is the month's ~120,000 power intervals
(closures, R5) and the judgement. Wall time and CPU time are printed: on a shared
machine the wall time is mostly waiting for a core (the load average is printed too); the CPU time is
this process's (on SQLite the database's work is in it) plus, on PostgreSQL on this machine, the
server backend's that answered (/proc; parallel workers, if any, not counted).

    .venv/bin/python bench/report_bench.py                 # both databases, full size
    .venv/bin/python bench/report_bench.py --db sqlite --windows 200 --evals 300   # quick

Data is generated with bulk inserts (executemany on SQLite, COPY on PostgreSQL); the
generation time is printed separately. Every pad is on during working hours except a few
planned off periods, every window has an imported volume, so the report does the full work
(closures, shortfall, ranks). The PostgreSQL database is a throwaway one, dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time as walltime
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session

from host.clock import RULES_TZ, ManualClock, to_ms
from host.db import make_engine, upgrade
from host.rules.calendar import Calendar
from host.scoring.months import month_view

MONTH = "2026-11"
FIRST, NEXT = date(2026, 11, 1), date(2026, 12, 1)
PG_ADMIN_URL = os.environ.get("EVALPAD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
CHUNK = 50_000
EVENT_COLS = ("device_id", "seq", "boot", "up_ms", "type", "pad_ts_ms", "at_ms", "time_derived",
              "received_ms", "window_id", "rating", "body")
BODY = json.dumps({"v": 1, "type": "eval", "prompted": True})


def sh(day: date, t: time) -> int:
    return to_ms(datetime.combine(day, t, tzinfo=RULES_TZ))


def workdays() -> list[date]:
    cal, out, d = Calendar(), [], FIRST
    while d < NEXT:
        if cal.is_working_day(d):
            out.append(d)
        d += timedelta(days=1)
    return out


def event_rows(windows: int, evals: int) -> Iterator[tuple]:
    days = workdays()
    starts = [sh(d, time(8, 30)) for d in days]
    per_day = -(-evals // len(days))
    step = (7 * 3600 * 1000) // per_day          # spread over the working day
    for w in range(1, windows + 1):
        dev = f"pad-{w:05d}"
        for k in range(evals):
            at = starts[k % len(days)] + (k // len(days)) * step
            yield (dev, k + 1, 1, k, "eval", at, at, False, at + 40, w,
                   "unsatisfied" if (k * 7 + w) % 10 == 0 else "satisfied", BODY)


def power_rows(windows: int) -> Iterator[tuple]:
    """On 08:00-18:00 every day of the month, off overnight; every 10th window also off 10:00-10:20
    on the 10th and a late start (08:45) on the 17th, so there are closures to judge."""
    d = FIRST - timedelta(days=1)
    days = []
    while d <= NEXT:
        days.append(d)
        d += timedelta(days=1)
    for w in range(1, windows + 1):
        dev = f"pad-{w:05d}"
        for day in days:
            on = sh(day, time(8, 45)) if (w % 10 == 0 and day == date(2026, 11, 17)) else sh(day, time(8))
            off = sh(day, time(18))
            if w % 10 == 0 and day == date(2026, 11, 10):
                yield (dev, "on", on, sh(day, time(10)), "birth")
                yield (dev, "off", sh(day, time(10)), sh(day, time(10, 20)), "will")
                yield (dev, "on", sh(day, time(10, 20)), off, "birth")
            else:
                yield (dev, "on", on, off, "birth")
            yield (dev, "off", off, sh(day + timedelta(days=1), time(8)), "will")


def fleet_rows(windows: int) -> tuple[list[tuple], list[tuple], list[tuple], list[tuple]]:
    t0 = sh(FIRST, time(0)) - 30 * 86_400_000
    win = [(w, f"W{w:05d}", f"窗口 {w}", "", "police_traffic" if w % 50 == 0 else "general", True)
           for w in range(1, windows + 1)]
    dev = [(f"pad-{w:05d}", "", t0) for w in range(1, windows + 1)]
    asg = [(f"pad-{w:05d}", w, t0, "bench", "setup") for w in range(1, windows + 1)]
    vol = [(w, MONTH, 2000 + (w % 7) * 10, "import") for w in range(1, windows + 1)]
    return win, dev, asg, vol


def batches(rows: Iterator[tuple], n: int = CHUNK) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    for r in rows:
        batch.append(r)
        if len(batch) >= n:
            yield batch
            batch = []
    if batch:
        yield batch


def fill_sqlite(path: Path, windows: int, evals: int) -> None:
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    win, dev, asg, vol = fleet_rows(windows)
    with con:
        con.executemany("INSERT INTO window (id, number, name, department, category, active) "
                        "VALUES (?, ?, ?, ?, ?, ?)", win)
        con.executemany("INSERT INTO device (id, label, registered_ms) VALUES (?, ?, ?)", dev)
        con.executemany("INSERT INTO assignment (device_id, window_id, start_ms, by, reason) "
                        "VALUES (?, ?, ?, ?, ?)", asg)
        con.executemany("INSERT INTO monthlyvolume (window_id, month, volume, source) "
                        "VALUES (?, ?, ?, ?)", vol)
        for b in batches(power_rows(windows)):
            con.executemany("INSERT INTO powerinterval (device_id, state, start_ms, end_ms, cause) "
                            "VALUES (?, ?, ?, ?, ?)", b)
    cols = ", ".join(EVENT_COLS)
    marks = ", ".join("?" for _ in EVENT_COLS)
    for b in batches(event_rows(windows, evals)):
        with con:
            con.executemany(f"INSERT INTO event ({cols}) VALUES ({marks})", b)
    con.execute("ANALYZE")
    con.close()


def fill_postgres(url: str, windows: int, evals: int) -> None:
    import psycopg

    win, dev, asg, vol = fleet_rows(windows)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as con, con.cursor() as cur:
        cur.executemany('INSERT INTO "window" (id, number, name, department, category, active) '
                        "VALUES (%s, %s, %s, %s, %s, %s)", win)
        cur.execute("SELECT setval(pg_get_serial_sequence('window', 'id'), %s)", (windows,))
        cur.executemany("INSERT INTO device (id, label, registered_ms) VALUES (%s, %s, %s)", dev)
        cur.executemany('INSERT INTO assignment (device_id, window_id, start_ms, "by", reason) '
                        "VALUES (%s, %s, %s, %s, %s)", asg)
        cur.executemany("INSERT INTO monthlyvolume (window_id, month, volume, source) "
                        "VALUES (%s, %s, %s, %s)", vol)
        with cur.copy("COPY powerinterval (device_id, state, start_ms, end_ms, cause) FROM STDIN") as cp:
            for r in power_rows(windows):
                cp.write_row(r)
        with cur.copy(f"COPY event ({', '.join(EVENT_COLS)}) FROM STDIN") as cp:
            for r in event_rows(windows, evals):
                cp.write_row(r)
        con.commit()
    # What autovacuum does soon after a bulk load: statistics and the visibility map (index-only scans).
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as con:
        con.execute("VACUUM ANALYZE")


def _server_cpu(session: Session) -> Callable[[], float]:
    """CPU seconds of the PostgreSQL backend serving ``session`` (same machine: /proc), else 0."""
    if session.get_bind().dialect.name != "postgresql":
        return lambda: 0.0
    pid = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
    tick = os.sysconf("SC_CLK_TCK")

    def read() -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0                       # the server is on another machine: not counted
        return (int(fields[11]) + int(fields[12])) / tick      # utime + stime
    return read


def measure(url: str, windows: int, repeat: int) -> dict[str, float]:
    engine = make_engine(url)
    out: dict[str, float] = {}
    try:
        ended = ManualClock(sh(date(2026, 12, 2), time(9)))
        times, cpu = [], []
        for _ in range(repeat):
            with Session(engine) as s:
                server = _server_cpu(s)
                t, c, sc = walltime.perf_counter(), walltime.process_time(), server()
                view = month_view(s, MONTH, ended)
                times.append(walltime.perf_counter() - t)
                cpu.append(walltime.process_time() - c + server() - sc)
        assert len(view.results) == windows, len(view.results)
        closures = sum(len(r.closures) for r in view.results)
        out["month_report_s_best"] = min(times)
        out["month_report_s_median"] = statistics.median(times)
        out["month_report_cpu_s_best"] = min(cpu)
        out["closures"] = closures
        out["rated"] = sum(1 for r in view.results if r.score.rated)
        running = ManualClock(sh(date(2026, 11, 18), time(10)))
        one = []
        for i in range(max(5, repeat)):
            with Session(engine) as s:
                t = walltime.perf_counter()
                month_view(s, MONTH, running, [1 + (i * 37) % windows])
                one.append(walltime.perf_counter() - t)
        out["month_so_far_one_window_ms_best"] = min(one) * 1000
        out["month_so_far_one_window_ms_median"] = statistics.median(one) * 1000
    finally:
        engine.dispose()
    return out


def run_sqlite(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="evalpad-bench-") as tmp:
        path = Path(args.sqlite_file) if args.sqlite_file else Path(tmp) / "bench.db"
        url = f"sqlite:///{path}"
        gen = 0.0
        if not path.exists():
            upgrade(url)
            t = walltime.perf_counter()
            fill_sqlite(path, args.windows, args.evals)
            gen = walltime.perf_counter() - t
        else:
            t = walltime.perf_counter()
            upgrade(url)          # a kept file from an earlier run: schema changes (indexes, counts) apply
            _upgraded("sqlite", walltime.perf_counter() - t)
        report("sqlite", args, gen, measure(url, args.windows, args.repeat),
               f"{path.stat().st_size / 2**20:.0f} MiB")


def run_postgres(args: argparse.Namespace) -> None:
    import psycopg

    name = args.pg_db or "evalpad_bench_" + uuid.uuid4().hex[:8]
    admin = psycopg.connect(PG_ADMIN_URL, autocommit=True)
    exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None
    if not exists:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"postgresql+psycopg://{PG_ADMIN_URL.split('://', 1)[1].rsplit('/', 1)[0]}/{name}"
        t = walltime.perf_counter()
        upgrade(url)
        if exists:
            _upgraded("postgresql", walltime.perf_counter() - t)
        gen = 0.0
        if not exists:
            t = walltime.perf_counter()
            fill_postgres(url, args.windows, args.evals)
            gen = walltime.perf_counter() - t
        report("postgresql", args, gen, measure(url, args.windows, args.repeat), "")
    finally:
        if not args.pg_db:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _upgraded(db: str, seconds: float) -> None:
    """Kept data from an earlier run brought to the newest schema (a new migration's backfill shows here)."""
    if seconds > 1:
        print(f"[{db}]   schema upgrade of the kept data (migrations, backfills): {seconds:.1f} s")


def report(db: str, args: argparse.Namespace, gen_s: float, m: dict[str, float], extra: str) -> None:
    events = args.windows * args.evals
    load = os.getloadavg()[0]
    print(f"[{db}] load average {load:.1f} on {os.cpu_count()} cores (other work slows every number)")
    print(f"[{db}] {args.windows} windows x {args.evals} evaluations = {events:,} events"
          f"{' (' + extra + ')' if extra else ''}")
    if gen_s:
        print(f"[{db}]   generation (bulk insert, not part of the target): {gen_s:.1f} s")
    else:
        print(f"[{db}]   kept data reused (no generation this run)")
    print(f"[{db}]   monthly report, all windows: best {m['month_report_s_best']:.2f} s, "
          f"median {m['month_report_s_median']:.2f} s, CPU (with the database's) best "
          f"{m['month_report_cpu_s_best']:.2f} s "
          f"(target < 1 s; {m['closures']:.0f} closures, {m['rated']:.0f} rated)")
    print(f"[{db}]   month so far, one window: best {m['month_so_far_one_window_ms_best']:.1f} ms, "
          f"median {m['month_so_far_one_window_ms_median']:.1f} ms  (target < 200 ms)")
    sys.stdout.flush()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    p.add_argument("--windows", type=int, default=2000)
    p.add_argument("--evals", type=int, default=3000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--sqlite-file", help="keep the SQLite data here and reuse it on the next run")
    p.add_argument("--pg-db", help="keep the PostgreSQL data in this database, reuse it (drop it yourself)")
    args = p.parse_args()
    if args.db in ("sqlite", "both"):
        run_sqlite(args)
    if args.db in ("postgresql", "both"):
        run_postgres(args)


if __name__ == "__main__":
    main()

"""Web pages on a realistic hall: what one wall screen costs the host, and page latencies.

A center of 200 windows with a pad each, a working day of evaluations (default 40 000 today)
on SQLite. Prints the time of one hall-board snapshot (each open board stream takes one per
second), and the median/p95 latency of the board, a window page and the month report.
Not a test: numbers only.

    .venv/bin/python bench/web_bench.py [--windows 200] [--events 40000] [--requests 30]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlmodel import Session

from host import fleet
from host.app import create_app
from host.auth.users import create_user
from host.clock import ManualClock
from host.db import make_engine, upgrade
from host.models import DeviceStatus, Event
from host.settings import Settings
from host.web.board import day_start_ms, snapshot

T0 = 1_795_600_000_000 + 6 * 3600_000       # 2026-11-25 14:26 Asia/Shanghai: an afternoon
PASSWORD = "bench-password-1234"


def _ms(samples: list[float]) -> str:
    samples = sorted(samples)
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    return f"median {statistics.median(samples) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--windows", type=int, default=200)
    ap.add_argument("--events", type=int, default=40_000)
    ap.add_argument("--requests", type=int, default=30)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="evalpad-web-bench-"))
    url = f"sqlite:///{tmp / 'evalpad.db'}"
    upgrade(url)
    engine = make_engine(url)
    clock = ManualClock(T0)
    with Session(engine) as s:
        for i in range(args.windows):
            number = f"W{i:03d}"
            fleet.add_window(s, number=number, name=f"窗口{i}", clock=clock, actor="bench")
            fleet.add_device(s, device_id=f"pad-{i:03d}", window_number=number, clock=clock, actor="bench")
            s.add(DeviceStatus(device_id=f"pad-{i:03d}", power="on", online=True, mode="serving",
                               since_ms=T0 - 3600_000, last_seen_ms=T0))
        create_user(s, name="mgmt", role="management", password=PASSWORD, clock=clock, actor="bench")
        s.commit()
    start = day_start_ms(T0) + 8 * 3600_000
    gap = 10 * 3600_000 // max(args.events, 1)     # spread over an 8:00-18:00 day
    rows = [{"device_id": f"pad-{i % args.windows:03d}", "seq": i, "boot": 1, "up_ms": i, "type": "eval",
             "pad_ts_ms": start + i * gap, "at_ms": start + i * gap, "time_derived": False,
             "received_ms": start + i * gap, "window_id": i % args.windows + 1,
             "rating": "satisfied" if i % 10 else "unsatisfied", "svc": None, "body": {}}
            for i in range(args.events)]
    with engine.begin() as conn:
        conn.execute(insert(Event), rows)
    clock.set(start + 10 * 3600_000)
    print(f"{args.windows} windows, {args.events} evaluations today (SQLite)")
    times = []
    with Session(engine) as s:
        for _ in range(args.requests):
            t = time.perf_counter()
            snapshot(s, clock)
            times.append(time.perf_counter() - t)
    print(f"board snapshot (once a second, shared by every open board)  {_ms(times)}")
    app = create_app(Settings(data_dir=tmp, database_url=url), engine, clock, lambda *a, **k: None)  # type: ignore[call-arg]
    client = TestClient(app, base_url="https://testserver")   # behind the TLS proxy: Secure cookies
    form = client.get("/login").text
    token = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    client.post("/login", data={"name": "mgmt", "password": PASSWORD, "csrf": token})
    for label, path, n in (("GET /board", "/board", args.requests),
                           ("GET /windows/W007", "/windows/W007", args.requests),
                           ("GET /management (month report)", "/management", max(3, args.requests // 10))):
        times = []
        for _ in range(n):
            t = time.perf_counter()
            r = client.get(path)
            times.append(time.perf_counter() - t)
            assert r.status_code == 200, (path, r.status_code)
        print(f"{label:32s} {_ms(times)}")
    engine.dispose()


if __name__ == "__main__":
    main()

"""API latency on a realistic table: a year of one center's events, SQLite (the default).

Prints per-request latency (median and p95) of the calls people and the queue system make
most: an events page with its total, the live status, a command to a pad, a queue-hook call,
and the bearer-token check alone (every request pays it). Not a test: numbers only.

    .venv/bin/python bench/api_bench.py [--events 200000] [--requests 200]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlmodel import Session, select

from host import fleet
from host.app import create_app
from host.auth.users import create_user, issue_token
from host.clock import ManualClock
from host.db import make_engine, upgrade
from host.models import DeviceStatus, Event, Window
from host.settings import Settings

T0 = 1_767_196_800_000  # 2026-01-01 00:00 Asia/Shanghai
WINDOWS = 60  # a large district center
DAY_MS = 86_400_000


def _fill(engine, n_events: int, clock: ManualClock) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        for i in range(WINDOWS):
            fleet.add_window(s, number=f"W{i:02d}", name=f"窗口 {i}", clock=clock, actor="bench")
            fleet.add_device(
                s, device_id=f"pad-{i:02d}", window_number=f"W{i:02d}", clock=clock, actor="bench"
            )
            s.add(DeviceStatus(device_id=f"pad-{i:02d}", online=True, mode="serving", since_ms=T0))
        s.commit()
        win = {w.number: w.id for w in s.exec(select(Window))}
        tokens = {}
        for role in ("admin", "it"):
            u = create_user(s, name=role, role=role, password=None, clock=clock, actor="bench")
            tokens[role] = issue_token(s, u, clock=clock, name="bench", ttl_ms=None)
        s.commit()
        step = 365 * DAY_MS // max(1, n_events // WINDOWS)
        rows = []
        for k in range(n_events):
            i, seq = k % WINDOWS, k // WINDOWS
            at = T0 + seq * step
            rows.append(
                {
                    "device_id": f"pad-{i:02d}",
                    "seq": seq,
                    "boot": 1,
                    "up_ms": seq,
                    "type": "eval",
                    "pad_ts_ms": at,
                    "at_ms": at,
                    "time_derived": False,
                    "received_ms": at + 80,
                    "window_id": win[f"W{i:02d}"],
                    "rating": "satisfied",
                    "svc": None,
                    "body": {"v": 1, "dev": f"pad-{i:02d}", "seq": seq},
                }
            )
            if len(rows) == 10_000:
                s.execute(insert(Event), rows)
                rows = []
        if rows:
            s.execute(insert(Event), rows)
        s.commit()
    return tokens


def _time(client: TestClient, n: int, call) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    samples = []
    for k in range(n):
        t = time.perf_counter()
        r = call(k)
        samples.append((time.perf_counter() - t) * 1000)
        assert r.status_code < 300, r.text
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--requests", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url)
        clock = ManualClock(T0 + 366 * DAY_MS)
        t = time.perf_counter()
        tokens = _fill(engine, args.events, clock)
        print(f"filled {args.events} events on {WINDOWS} windows in {time.perf_counter() - t:.1f} s")
        app = create_app(
            Settings(data_dir=Path(tmp)),
            engine,
            clock,  # type: ignore[call-arg]
            lambda *a, **k: None,
        )
        n = args.requests
        with TestClient(app) as c:
            it = {"Authorization": f"Bearer {tokens['it']}"}
            cases = {
                "GET /auth/me (token check only)": lambda k: c.get("/api/v1/auth/me", headers=it),
                "GET /events?window=..&limit=100 (+total)": lambda k: c.get(
                    f"/api/v1/events?window=W{k % WINDOWS:02d}&limit=100&offset={(k * 100) % 3000}",
                    headers=it,
                ),
                "GET /events month of one window (+total)": lambda k: c.get(
                    f"/api/v1/events?window=W{k % WINDOWS:02d}&from_ms={T0 + 30 * DAY_MS}"
                    f"&to_ms={T0 + 61 * DAY_MS}&limit=1000",
                    headers=it,
                ),
                "GET /status (all pads)": lambda k: c.get("/api/v1/status", headers=it),
                "POST /devices/{id}/commands": lambda k: c.post(
                    f"/api/v1/devices/pad-{k % WINDOWS:02d}/commands",
                    headers=it,
                    json={"type": "prompt", "svc": f"T{k}"},
                ),
                "POST /windows/{no}/sessions start": lambda k: c.post(
                    f"/api/v1/windows/W{k % WINDOWS:02d}/sessions",
                    headers=it,
                    json={"ticket": f"B{k}", "action": "start"},
                ),
            }
            print(
                f"{'request':<44} {'median ms':>10} {'p95 ms':>8}   ({n} requests each, TestClient, SQLite)"
            )
            for name, call in cases.items():
                med, p95 = _time(c, n, call)
                print(f"{name:<44} {med:>10.1f} {p95:>8.1f}")
        engine.dispose()


if __name__ == "__main__":
    main()

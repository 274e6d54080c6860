"""Ingest throughput while the review sweep runs, on SQLite (issue 10: "database is locked").

    .venv/bin/python bench/sweep_ingest_bench.py [--windows 59] [--per-window 300] [--backlog 60000]

The host as `evalpad serve` runs it: the ingest pipeline (host.ingest.IngestPipeline) and
the review sweep (host.faults.Sweeper) on one engine in one process, a private Mosquitto
with the project's config. A day of facts for ``--windows`` windows (service sessions,
prompts, evaluations, ~8 % of them R6 candidates, liveness) makes the sweep do real work.

Each phase queues ``--backlog`` events in the host's persistent session while the ingest
is away (so the publishers use no CPU while it is measured), then starts the ingest and
counts committed events every 0.25 s:
- alone: the ingest alone drains the backlog;
- with sweep: the first sweep of a start (every window, no `since`) starts with it; the
  rate is taken over the sweep's run, beside the sweep's own duration.
Phases alternate (``--rounds`` pairs, each with a freshly started ingest); prints each
rate, the worst 1-s rate, the writer's "database is locked" retries, the medians and their
ratio (target: >= 80 %). Not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing as mp
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import insert
from sqlmodel import Session, col, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from host.broker.mosquitto import Mosquitto, hash_password, write_passwords  # noqa: E402
from host.clock import RULES_TZ, SystemClock, to_ms  # noqa: E402
from host.db import make_engine, upgrade  # noqa: E402
from host.faults.sweep import Sweeper  # noqa: E402
from host.ingest.mqtt import BrokerAddress  # noqa: E402
from host.ingest.pipeline import IngestPipeline  # noqa: E402
from host.models import Assignment, Device, Event, PowerInterval, ServiceSession, Window  # noqa: E402
from host.settings import Settings  # noqa: E402
from protocol import messages, spec, topics  # noqa: E402

HOST = "host-bench"
SAMPLE_S = 0.25


def dev_id(i: int) -> str:
    return f"sb-{i:04d}"


# -- a day of facts -----------------------------------------------------------------------

def today_at(h: int, m: int = 0) -> int:
    now = datetime.now(RULES_TZ)
    day = now if now.hour >= 18 else now - timedelta(days=1)      # a whole working day behind us
    return to_ms(day.replace(hour=h, minute=m, second=0, microsecond=0))


def seed(engine, windows: int, per_window: int) -> int:  # type: ignore[no-untyped-def]
    """Windows, pads, assignments and one working day of facts; returns the events written."""
    month_ago = today_at(0) - 31 * 86_400_000
    with Session(engine) as s:
        s.execute(insert(Window), [{"number": f"S{i:02d}", "name": f"窗口{i}", "department": "",
                                    "category": "general", "active": True} for i in range(windows)])
        s.execute(insert(Device), [{"id": dev_id(i), "label": "", "registered_ms": month_ago}
                                   for i in range(windows)])
        s.commit()
        ids = list(s.exec(select(Window.id).order_by(col(Window.id))).all())
        s.execute(insert(Assignment), [{"device_id": dev_id(i), "window_id": wid, "start_ms": month_ago,
                                        "end_ms": None, "by": "bench", "reason": ""}
                                       for i, wid in enumerate(ids)])
        s.execute(insert(PowerInterval), [{"device_id": dev_id(i), "state": "on", "start_ms": month_ago,
                                           "end_ms": None, "cause": "birth"} for i in range(windows)])
        events: list[dict] = []
        sessions: list[dict] = []
        for i, wid in enumerate(ids):
            dev, seq = dev_id(i), 0
            t = today_at(8, 35)
            step = (today_at(17) - t) // per_window
            for n in range(per_window):
                ticket = f"T{i}-{n}"
                sessions.append({"window_id": wid, "ticket": ticket, "started_ms": t,
                                 "ended_ms": t + step // 2, "source": "queue"})
                steps = [("prompt", t + step // 2), ("eval", t + step // 2 + 5_000)]
                if n % 25 == 0:
                    steps.append(("eval", t + step // 2 + 9_000))       # 连续评价
                if n % 30 == 0:
                    steps = [("eval", t + step // 2 + 5_000)]           # no prompt
                for typ, at in steps:
                    seq += 1
                    events.append({"device_id": dev, "seq": seq, "boot": 1, "up_ms": seq, "type": typ,
                                   "pad_ts_ms": at, "at_ms": at, "time_derived": False, "received_ms": at,
                                   "window_id": wid, "rating": "satisfied" if typ == "eval" else None,
                                   "svc": ticket, "body": {"type": typ, "svc": ticket, "source": "host"}})
                t += step
        s.execute(insert(ServiceSession), sessions)
        s.execute(insert(Event), events)
        s.commit()
    return len(events)


# -- publishers (child process): the backlog ------------------------------------------------

def publish_backlog(port: int, windows: int, per_pad: int, first_seq: int, done: mp.Queue) -> None:
    clients = []
    at = today_at(16, 0)
    for i in range(windows):
        dev = dev_id(i)
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=dev)
        c.username_pw_set(dev, "pw-" + dev)
        c.max_inflight_messages_set(200)
        c.connect("127.0.0.1", port)
        c.loop_start()
        clients.append((dev, c))
    time.sleep(0.5)
    last = []
    for s in range(first_seq, first_seq + per_pad):
        for dev, c in clients:
            payload = messages.encode(messages.event(dev, s, 2, s, at + s, "press_ignored",
                                                     rating="satisfied", reason="repeat"))
            info = c.publish(topics.topic(dev, spec.EVENT), payload, qos=1)
        last.append(info)
    for info in last[-1:]:
        info.wait_for_publish(600)
    for _, c in clients:
        c.disconnect()
        c.loop_stop()
    done.put(True)


# -- one phase -----------------------------------------------------------------------------

class Counter:
    def __init__(self) -> None:
        self.stored = 0
        self.first: float | None = None      # the first commit: connecting is not ingesting
        self.lock = threading.Lock()

    def add(self, out) -> None:  # type: ignore[no-untyped-def]
        with self.lock:
            if self.first is None and out.stored:
                self.first = time.perf_counter()
            self.stored += out.stored


class LockedRetries(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "retrying the batch" in record.getMessage():
            self.count += 1


def run_phase(engine, settings: Settings, address: BrokerAddress, server: Mosquitto, windows: int,
              backlog: int, first_seq: int, with_sweep: bool) -> dict:  # type: ignore[no-untyped-def]
    done: mp.Queue = mp.Queue()
    pub = mp.Process(target=publish_backlog, args=(server.port, windows, backlog // windows, first_seq, done))
    pub.start()
    done.get(timeout=900)
    pub.join()
    total = (backlog // windows) * windows
    retries = LockedRetries()
    logging.getLogger("host.ingest.writer").addHandler(retries)
    counter = Counter()
    pipeline = IngestPipeline(settings, engine, SystemClock(), address)
    pipeline.writer.on_batch = counter.add
    sweeper = Sweeper(engine, SystemClock(), busy=pipeline.busy)     # as host.service.run builds it
    sweep_s: list[float] = []

    def sweep() -> None:
        t = time.perf_counter()
        sweeper.run_once()
        sweep_s.append(time.perf_counter() - t)

    samples: list[tuple[float, int]] = []
    t0 = time.perf_counter()
    pipeline.start()
    runner = threading.Thread(target=sweep) if with_sweep else None
    if runner is not None:
        runner.start()
    while True:
        time.sleep(SAMPLE_S)
        with counter.lock:
            samples.append((time.perf_counter() - t0, counter.stored))
        if counter.stored >= total and (runner is None or not runner.is_alive()):
            break
        if time.perf_counter() - t0 > 900:
            break
    pipeline.stop()
    logging.getLogger("host.ingest.writer").removeHandler(retries)
    until = sweep_s[0] if sweep_s else samples[-1][0]
    inside = [(t, n) for t, n in samples if t <= until] or samples[:1]
    # The rate over the sweep's run (or the same length of the drain without a sweep) while
    # a backlog was there to take: stop at the moment the backlog ran out.
    busy = [(t, n) for t, n in inside if n < total] or inside
    first = (counter.first or t0) - t0
    rate = busy[-1][1] / (busy[-1][0] - first) if busy[-1][0] > first else 0.0
    per_s = [(b[1] - a[1]) / (b[0] - a[0]) for a, b in zip(busy, busy[4:], strict=False)] or [rate]
    return {"rate": rate, "worst_1s": min(per_s), "sweep_s": sweep_s[0] if sweep_s else None,
            "stored": counter.stored, "total": total, "retries": retries.count,
            "drain_s": samples[-1][0], "until": busy[-1][0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--windows", type=int, default=59)
    ap.add_argument("--per-window", type=int, default=300, help="service sessions per window in the day")
    ap.add_argument("--backlog", type=int, default=60_000)
    ap.add_argument("--rounds", type=int, default=2, help="alone/with-sweep pairs, alternated")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    tmp = Path(tempfile.mkdtemp(prefix="sweep-bench-"))
    url = f"sqlite:///{tmp / 'evalpad.db'}"
    upgrade(url)
    engine = make_engine(url)
    t = time.perf_counter()
    n = seed(engine, args.windows, args.per_window)
    print(f"seeded {args.windows} windows, {n} events of one working day in {time.perf_counter() - t:.1f} s")

    server = Mosquitto(tmp / "broker")
    password = secrets.token_urlsafe(12)
    users = {HOST: hash_password(password)}
    users.update({dev_id(i): hash_password("pw-" + dev_id(i)) for i in range(args.windows)})
    server.write_config()
    write_passwords(server.password_file, users)
    server.write_config()                       # the ACL now names the host account
    server.start()
    settings = Settings(data_dir=tmp, database_url=url, instance=HOST)  # type: ignore[call-arg]
    address = BrokerAddress("127.0.0.1", server.port, HOST, password)
    try:
        # The host's persistent session exists before the backlog is published.
        first = IngestPipeline(settings, engine, SystemClock(), address)
        first.start()
        first.stop()
        results = []
        seq = 1_000_000
        for _ in range(args.rounds):
            for with_sweep in (False, True):
                r = run_phase(engine, settings, address, server, args.windows, args.backlog, seq, with_sweep)
                seq += args.backlog
                results.append((with_sweep, r))
                print(f"{'during sweep' if with_sweep else 'alone':<13} {r['rate']:7.0f} events/s over "
                      f"{r['until']:5.1f} s (worst 1 s: {r['worst_1s']:5.0f}; 'database is locked' retries: "
                      f"{r['retries']})" + (f"; the sweep took {r['sweep_s']:.1f} s" if with_sweep else ""),
                      flush=True)
    finally:
        server.stop()
        engine.dispose()
    alone = statistics.median(r["rate"] for w, r in results if not w)
    during = statistics.median(r["rate"] for w, r in results if w)
    print(f"median: alone {alone:.0f} events/s, during the sweep {during:.0f} events/s: "
          f"{during / alone:.0%} (target >= 80 %); load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores (other work on the machine moves both)")
    if args.keep:
        print(f"data kept in {tmp}")


if __name__ == "__main__":
    main()

"""Ingest throughput: events/s committed-and-acknowledged vs the same broker's bare relay rate.

    .venv/bin/python bench/ingest_bench.py [--pads 50] [--events 200] [--db sqlite|postgresql|both]

For each run a private Mosquitto (the project's config: auth, ACL, persistence) is started.
Publishers: ``--pads`` simulated pads in one child process, each publishing ``--events``
contract events at QoS 1 as fast as the broker takes them.
- bare relay: a paho subscriber that does nothing (auto PUBACK) on the event topics;
  rate = events / (last event received - first publish).
- ingest: ``python -m host.ingest`` (a separate process, as deployed) with the pads
  registered and assigned; rate = events / (last ack received by the pads - first publish),
  i.e. committed to the database and acknowledged to every pad.
Memory: the ingest process's peak RSS (VmHWM). Target (issue 4): >= 3,000 events/s on
SQLite and >= half the bare relay on a 2-core machine. Not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from host.broker.mosquitto import Mosquitto, hash_password, write_passwords  # noqa: E402
from protocol import acks, messages, spec, topics  # noqa: E402

T0 = 1_795_600_000_000
HOST = "host-bench"     # the ingest's instance = its broker account = its client id
PG_ADMIN_URL = os.environ.get("EVALPAD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def dev_id(i: int) -> str:
    return f"bench-{i:04d}"


def start_broker(directory: Path, pads: int) -> tuple[Mosquitto, str]:
    server = Mosquitto(directory)
    host_password = secrets.token_urlsafe(12)
    users = {HOST: hash_password(host_password)}
    users.update({dev_id(i): hash_password("pw-" + dev_id(i)) for i in range(pads)})
    server.write_config()
    write_passwords(server.password_file, users)   # all at once: no reload per pad
    server.start()
    return server, host_password


# -- publishers (child process) ---------------------------------------------------------

def publishers(port: int, pads: int, events: int, wait_acks: bool, out: mp.Queue) -> None:
    done = threading.Event()
    remaining = [pads]
    lock = threading.Lock()
    clients = []

    def make(i: int) -> mqtt.Client:
        dev = dev_id(i)
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=dev, clean_session=True)
        c.username_pw_set(dev, "pw-" + dev)
        c.max_inflight_messages_set(200)
        state = {"ranges": [], "done": False}

        def on_message(client, userdata, msg):  # type: ignore[no-untyped-def]
            state["ranges"] = acks.merge(state["ranges"] + messages.parse_ack(msg.payload)["ack"])
            if not state["done"] and state["ranges"] == [[1, events]]:
                state["done"] = True
                with lock:
                    remaining[0] -= 1
                    if remaining[0] == 0:
                        out.put(("acked", time.time()))
                        done.set()

        c.on_message = on_message
        c.connect("127.0.0.1", port)
        if wait_acks:
            c.subscribe(topics.topic(dev, spec.ACK), qos=1)
        c.loop_start()
        return c

    payloads = []
    for i in range(pads):
        clients.append(make(i))
        payloads.append([messages.encode(messages.event(dev_id(i), s, 1, 1000 * s, T0 + 1000 * s, "eval",
                                                        rating="satisfied", svc=None, prompted=True))
                         for s in range(1, events + 1)])
    time.sleep(1.0)                          # every client connected and subscribed
    out.put(("start", time.time()))
    for s in range(events):                  # interleaved, as a hall of pads would
        for i, c in enumerate(clients):
            c.publish(topics.topic(dev_id(i), spec.EVENT), payloads[i][s], qos=1)
    out.put(("published", time.time()))
    if wait_acks:
        done.wait(600)
    else:
        time.sleep(0.5)
    for c in clients:
        c.disconnect()
        c.loop_stop()


# -- the two runs ----------------------------------------------------------------------

def run_relay(pads: int, events: int) -> dict:
    total = pads * events
    with tempfile.TemporaryDirectory() as tmp:
        server, host_password = start_broker(Path(tmp) / "broker", pads)
        try:
            got = [0]
            last = [0.0]
            finished = threading.Event()
            sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-relay", clean_session=True)
            sub.username_pw_set(HOST, host_password)

            def on_message(client, userdata, msg):  # type: ignore[no-untyped-def]
                got[0] += 1
                if got[0] == total:
                    last[0] = time.time()
                    finished.set()

            sub.on_message = on_message
            sub.connect("127.0.0.1", server.port)
            sub.subscribe(topics.subscription(spec.EVENT), qos=1)
            sub.loop_start()
            q: mp.Queue = mp.Queue()
            child = mp.Process(target=publishers, args=(server.port, pads, events, False, q))
            child.start()
            start = _expect(q, "start")
            finished.wait(600)
            child.join(60)
            sub.loop_stop()
            sub.disconnect()
            elapsed = last[0] - start
            return {"events": got[0], "seconds": elapsed, "rate": got[0] / elapsed if elapsed > 0 else 0}
        finally:
            server.stop()


def run_ingest(pads: int, events: int, db_url: str) -> dict:
    from sqlmodel import Session, func, select

    from host.db import make_engine, upgrade
    from host.models import Assignment, Device, Event, Window

    total = pads * events
    upgrade(db_url)
    engine = make_engine(db_url)
    with Session(engine) as s:
        w = Window(number="B01", name="bench")
        s.add(w)
        s.flush()
        for i in range(pads):
            s.add(Device(id=dev_id(i), registered_ms=0))
        s.flush()
        for i in range(pads):
            s.add(Assignment(device_id=dev_id(i), window_id=w.id, start_ms=0))   # type: ignore[arg-type]
        s.commit()
    with tempfile.TemporaryDirectory() as tmp:
        server, host_password = start_broker(Path(tmp) / "broker", pads)
        env = {**os.environ, "EVALPAD_DATABASE_URL": db_url, "EVALPAD_INSTANCE": HOST,
               "EVALPAD_DATA_DIR": str(Path(tmp) / "data"), "EVALPAD_LOG_LEVEL": "WARNING",
               "EVALPAD_MQTT_URL": f"mqtt://{HOST}:{host_password}@127.0.0.1:{server.port}"}
        host = subprocess.Popen([sys.executable, "-m", "host.ingest"], env=env, cwd=tmp)
        try:
            _wait_connected(server, host)
            q: mp.Queue = mp.Queue()
            child = mp.Process(target=publishers, args=(server.port, pads, events, True, q))
            child.start()
            start = _expect(q, "start")
            acked = _expect(q, "acked", timeout=600)
            child.join(60)
            peak_kib = _status_kib(host.pid, "VmHWM")
            with Session(engine) as s:
                stored = s.scalar(select(func.count()).select_from(Event))
            elapsed = acked - start
            return {"events": total, "stored": stored, "seconds": elapsed,
                    "rate": total / elapsed if elapsed > 0 else 0, "peak_rss_mib": peak_kib / 1024}
        finally:
            host.terminate()
            host.wait(30)
            server.stop()
            engine.dispose()


def _expect(q: mp.Queue, what: str, timeout: float = 120) -> float:
    deadline = time.monotonic() + timeout
    while True:
        kind, value = q.get(timeout=max(0.1, deadline - time.monotonic()))
        if kind == what:
            return float(value)


def _wait_connected(server: Mosquitto, host: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if host.poll() is not None:
            raise SystemExit("the ingest process exited at start")
        if f"as {HOST}" in server.log_file.read_text(errors="replace"):
            time.sleep(0.5)             # subscribed just after connecting
            return
        time.sleep(0.1)
    raise SystemExit("the ingest did not connect within 60 s")


def _status_kib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return float(line.split()[1])
    return 0.0


def _pg_database() -> tuple[str, object]:
    import uuid

    import psycopg

    admin = psycopg.connect(PG_ADMIN_URL, autocommit=True)
    name = "evalpad_bench_" + uuid.uuid4().hex[:8]
    admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + name
    return url, (admin, name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pads", type=int, default=50)
    ap.add_argument("--events", type=int, default=200, help="events per pad")
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--repeat", type=int, default=3, help="rounds (relay, then each database); medians "
                    "are reported, since a shared machine's load moves single runs a lot")
    args = ap.parse_args()
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    runs: dict[str, list[dict]] = {"bare_relay": [], **{f"ingest_{db}": [] for db in dbs}}
    for round_no in range(1, args.repeat + 1):
        relay = run_relay(args.pads, args.events)
        runs["bare_relay"].append(relay)
        line = [f"round {round_no}: relay {relay['rate']:.0f}/s"]
        for db in dbs:
            r = _ingest_once(args.pads, args.events, db)
            r["ratio_to_relay"] = r["rate"] / relay["rate"] if relay["rate"] else 0
            runs[f"ingest_{db}"].append(r)
            line.append(f"{db} {r['rate']:.0f}/s ({100 * r['ratio_to_relay']:.0f}%)")
        print(", ".join(line), f"[load {os.getloadavg()[0]:.1f}]", flush=True)
    relay_rate = statistics.median(r["rate"] for r in runs["bare_relay"])
    results: dict = {"pads": args.pads, "events_per_pad": args.events, "cores": os.cpu_count(),
                     "rounds": args.repeat, "runs": runs}
    print(f"bare relay:         median {relay_rate:8.0f} events/s")
    for db in dbs:
        rs = runs[f"ingest_{db}"]
        rate = statistics.median(r["rate"] for r in rs)
        ratio = statistics.median(r["ratio_to_relay"] for r in rs)
        assert all(r["stored"] == r["events"] for r in rs), "an event was not stored"
        print(f"ingest ({db:10s}): median {rate:8.0f} events/s committed and acked, median "
              f"{100 * ratio:.0f}% of the same round's bare relay, peak RSS "
              f"{max(r['peak_rss_mib'] for r in rs):.0f} MiB")
    print(json.dumps(results, indent=2))


def _ingest_once(pads: int, events: int, db: str) -> dict:
    if db == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            return run_ingest(pads, events, f"sqlite:///{tmp}/bench.db")
    url, (admin, name) = _pg_database()  # type: ignore[misc]
    try:
        return run_ingest(pads, events, url)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()

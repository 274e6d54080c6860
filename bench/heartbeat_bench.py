"""Heartbeats: what thousands of connected pads cost one host (issue 15).

    .venv/bin/python bench/heartbeat_bench.py [--pads 2000,10000,15000] [--db sqlite|postgresql]
        [--interval 30] [--measure 60] [--procs 4] [--host-src /path/to/other/checkout]

For each number of pads: a private Mosquitto (the project's config: auth, ACL, persistence;
its open-file limit raised to the hard limit, 20,000 here), the pads registered and assigned
in a fresh database, ``python -m host.ingest`` as a separate process (as deployed), and the
pads as raw MQTT 3.1.1 connections (asyncio sockets, the payloads built by ``protocol``), each
with its own account and its will, spread over ``--procs`` processes. Every pad publishes
its retained birth state, then a heartbeat (retained state, protocol.md "State") every
``--interval`` seconds at a random phase: pads/interval heartbeats a second, as in a hall.

Measured once every pad is on in the database and a few seconds have passed, over
``--measure`` seconds: the ingest process's CPU (utime+stime from /proc/<pid>/stat) as % of
one core and per heartbeat, its RSS, and the heartbeats sent meanwhile; then, after the
host's next beat, how many pads the database saw in the last interval (the host kept up).
``--host-src`` runs the ingest from another checkout (e.g. main, for "before"); the
database schema must be the same. Target (issue 15): 15,000 pads every 30 s at < 20% of
one core. Not a test: it prints numbers.

By default the database starts with every pad on and serving (its boot known), as a host
restarted during the day finds its hall, so the births are heartbeats too and the run
measures heartbeats; ``--births`` starts from nothing (every birth a transition, written at
once): with 10,000 pads connecting within seconds the births queue up for minutes here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import resource
import secrets
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from host.broker.mosquitto import Mosquitto, hash_password, write_passwords  # noqa: E402
from protocol import messages, spec, topics  # noqa: E402

HOST = "host-bench"
PG_ADMIN_URL = os.environ.get("EVALPAD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TICK_HZ = os.sysconf("SC_CLK_TCK")
KEEPALIVE_S = 120


def dev_id(i: int) -> str:
    return f"hb-{i:05d}"


# -- MQTT 3.1.1 by hand: CONNECT with a will, PUBLISH QoS 1 retained ---------------------

def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _s(b: bytes) -> bytes:
    return struct.pack("!H", len(b)) + b


def connect_packet(dev: str, password: str) -> bytes:
    will = messages.encode(messages.will(dev))
    flags = 0x80 | 0x40 | 0x20 | 0x08 | 0x04 | 0x02   # user, password, will retain, will QoS 1, will, clean
    body = (_s(b"MQTT") + bytes([4, flags]) + struct.pack("!H", KEEPALIVE_S) + _s(dev.encode())
            + _s(topics.topic(dev, spec.STATE).encode()) + _s(will) + _s(dev.encode())
            + _s(password.encode()))
    return b"\x10" + _varint(len(body)) + body


def publish_packet(topic: str, payload: bytes, mid: int, retain: bool = True) -> bytes:
    body = _s(topic.encode()) + struct.pack("!H", mid) + payload
    return (b"\x33" if retain else b"\x32") + _varint(len(body)) + body       # PUBLISH, QoS 1


class Pad:
    def __init__(self, dev: str) -> None:
        self.dev = dev
        self.topic = topics.topic(dev, spec.STATE)
        self.mid = 0
        self.up = random.randrange(10_000, 10_000_000)
        self.writer: asyncio.StreamWriter | None = None

    def state(self) -> bytes:
        self.mid = self.mid % 65535 + 1
        msg = messages.state(self.dev, "serving", fw="1.0.0", boot=3, up=self.up, ts=int(time.time() * 1000),
                             buffered=0, mem_free=random.randrange(40_000, 60_000),
                             rssi=random.randrange(-70, -40), faults=[])
        return publish_packet(self.topic, messages.encode(msg), self.mid)


async def open_pad(dev: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """One pad's connection: CONNECT with its account and will, CONNACK checked."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(connect_packet(dev, "pw-" + dev))
    connack = await reader.readexactly(4)
    if connack[3] != 0:
        raise SystemExit(f"broker refused {dev}: {connack!r}")
    return reader, writer


async def _drain(reader: asyncio.StreamReader) -> None:
    while await reader.read(4096):     # PUBACKs: nothing to do with them
        pass


async def _pads(port: int, devs: list[str], interval: float, sent: mp.Value, connected: mp.Value,  # type: ignore[valid-type]
                stop: mp.Event) -> None:  # type: ignore[valid-type]
    gate = asyncio.Semaphore(100)
    pads = [Pad(d) for d in devs]

    async def open_one(pad: Pad) -> None:
        async with gate:
            reader, writer = await open_pad(pad.dev, port)
            pad.writer = writer
            asyncio.get_running_loop().create_task(_drain(reader))
            writer.write(pad.state())                  # birth
            with connected.get_lock():
                connected.value += 1

    await asyncio.gather(*(open_one(p) for p in pads))
    # Heartbeats: each pad at its own phase, every ``interval`` seconds.
    start = time.monotonic()
    due = sorted((start + random.uniform(0, interval), i) for i in range(len(pads)))
    while not stop.is_set():
        now = time.monotonic()
        k = 0
        while k < len(due) and due[k][0] <= now:
            k += 1
        if k:
            ready, due = due[:k], due[k:]
            for t, i in ready:
                pad = pads[i]
                pad.up += int(interval * 1000)
                pad.writer.write(pad.state())          # type: ignore[union-attr]
                due.append((t + interval, i))
            due.sort()
            with sent.get_lock():
                sent.value += k
        await asyncio.sleep(0.02)
    for pad in pads:
        if pad.writer is not None:
            pad.writer.close()


def pad_process(port: int, devs: list[str], interval: float, sent: mp.Value, connected: mp.Value,  # type: ignore[valid-type]
                stop: mp.Event) -> None:  # type: ignore[valid-type]
    asyncio.run(_pads(port, devs, interval, sent, connected, stop))


# -- the host and the measure ---------------------------------------------------------------

def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK_HZ     # utime, stime (fields 14, 15)


def _status_kib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return float(line.split()[1])
    return 0.0


def _raise_nofile() -> int:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))   # inherited by Mosquitto
    return hard


def _prepare_db(db_url: str, pads: int, seed: bool) -> None:
    from sqlmodel import Session

    from host.db import make_engine, upgrade
    from host.models import Assignment, BootAnchor, Device, DeviceStatus, ModeInterval, PowerInterval, Window

    upgrade(db_url)
    engine = make_engine(db_url)
    with Session(engine) as s:
        w = Window(number="H01", name="bench")
        s.add(w)
        s.flush()
        s.bulk_insert_mappings(Device, [{"id": dev_id(i), "registered_ms": 0} for i in range(pads)])  # type: ignore[arg-type]
        s.bulk_insert_mappings(Assignment, [{"device_id": dev_id(i), "window_id": w.id, "start_ms": 0,  # type: ignore[arg-type]
                                             "by": "bench"} for i in range(pads)])
        if seed:
            # Every pad already on and serving since a minute ago, its boot known: as a host
            # restarted during the day finds its hall. The run then measures heartbeats, not
            # thousands of simultaneous births (each a transition written at once).
            now = int(time.time() * 1000)
            since = now - 60_000
            devs = [dev_id(i) for i in range(pads)]
            status = {"power": "on", "online": True, "mode": "serving", "since_ms": since,
                      "last_seen_ms": now, "fw": "1.0.0", "boot": 3, "faults": "", "heartbeat_s": 30}
            s.bulk_insert_mappings(DeviceStatus, [{"device_id": d, **status} for d in devs])  # type: ignore[arg-type]
            s.bulk_insert_mappings(PowerInterval, [{"device_id": d, "state": "on", "start_ms": since,  # type: ignore[arg-type]
                                                    "cause": "state"} for d in devs])
            s.bulk_insert_mappings(ModeInterval, [{"device_id": d, "mode": "serving", "start_ms": since}  # type: ignore[arg-type]
                                                  for d in devs])
            s.bulk_insert_mappings(BootAnchor, [{"device_id": d, "boot": 3, "boot_ms": since - 10_000_000,  # type: ignore[arg-type]
                                                 "from_clock": True} for d in devs])
        s.commit()
    engine.dispose()


def _count(db_url: str, since_ms: int | None = None) -> int:
    from sqlmodel import Session, col, func, select

    from host.db import make_engine
    from host.models import DeviceStatus

    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            q = select(func.count()).select_from(DeviceStatus).where(col(DeviceStatus.power) == "on")
            if since_ms is not None:
                q = q.where(col(DeviceStatus.last_seen_ms) >= since_ms)
            return int(s.scalar(q) or 0)
    finally:
        engine.dispose()


def start_broker(tmp: Path, pads: int, hosts: list[str]) -> tuple[Mosquitto, dict[str, str]]:
    """A private Mosquitto (the project's config) in ``tmp``/broker with an account for each of
    ``pads`` pads (password ``pw-<dev>``) and each host instance; returns it and the hosts'
    passwords. Call ``_raise_nofile`` first: Mosquitto inherits the open-file limit."""
    server = Mosquitto(tmp / "broker")
    passwords = {h: secrets.token_urlsafe(12) for h in hosts}
    users = {h: hash_password(pw) for h, pw in passwords.items()}
    users.update({dev_id(i): hash_password("pw-" + dev_id(i)) for i in range(pads)})
    write_passwords(server.password_file, users)
    server.write_config()                 # the ACL gives the host accounts their rights
    server.start()
    return server, passwords


def host_env(db_url: str, tmp: Path, instance: str, password: str, port: int, group: str = "",
             log_level: str | None = None) -> dict[str, str]:
    """The environment of ``python -m host.ingest`` as instance ``instance`` (its own account)."""
    return {**os.environ, "EVALPAD_DATABASE_URL": db_url, "EVALPAD_INSTANCE": instance,
            "EVALPAD_SHARE_GROUP": group, "EVALPAD_DATA_DIR": str(tmp / "data"),
            "EVALPAD_LOG_LEVEL": log_level or os.environ.get("BENCH_HOST_LOG", "WARNING"),
            "EVALPAD_MQTT_URL": f"mqtt://{instance}:{password}@127.0.0.1:{port}"}


def run(pads: int, db_url: str, interval: float, measure: float, procs: int, host_src: str | None,
        host_prefix: list[str] | None = None, seed: bool = True) -> dict:
    _prepare_db(db_url, pads, seed)
    with tempfile.TemporaryDirectory() as tmp:
        server, passwords = start_broker(Path(tmp), pads, [HOST])
        env = host_env(db_url, Path(tmp), HOST, passwords[HOST], server.port)
        if host_src:
            env["PYTHONPATH"] = host_src
        host = subprocess.Popen([*(host_prefix or []), sys.executable, "-m", "host.ingest"], env=env,
                                cwd=host_src or tmp)
        pid = host.pid
        if host_prefix:                       # a profiler's child: measure the ingest itself
            time.sleep(2)
            pid = int(subprocess.check_output(["pgrep", "-P", str(host.pid)]).split()[0])
        sent, connected, stop = mp.Value("q", 0), mp.Value("q", 0), mp.Event()
        children: list[mp.Process] = []
        try:
            time.sleep(3)
            if host.poll() is not None:
                raise SystemExit("the ingest exited at start")
            t0 = time.monotonic()
            for k in range(procs):
                devs = [dev_id(i) for i in range(k, pads, procs)]
                child = mp.Process(target=pad_process,
                                   args=(server.port, devs, interval, sent, connected, stop))
                child.start()
                children.append(child)
            deadline = time.monotonic() + 300
            while connected.value < pads or _count(db_url) < pads:
                if time.monotonic() > deadline or host.poll() is not None:
                    raise SystemExit(f"only {_count(db_url)} of {pads} pads came on "
                                     f"({connected.value} connected)")
                time.sleep(1)
            ready_s = time.monotonic() - t0
            time.sleep(5)                     # births done; heartbeats under way
            cpu0, wall0, sent0 = _cpu_s(pid), time.monotonic(), sent.value
            time.sleep(measure)
            cpu1, wall1, sent1 = _cpu_s(pid), time.monotonic(), sent.value
            rss = _status_kib(pid, "VmRSS") / 1024
            broker_rss = _status_kib(server.proc.pid, "VmRSS") / 1024 if server.proc else 0.0
            peak = _status_kib(pid, "VmHWM") / 1024
            end_ms = int(time.time() * 1000)
            time.sleep(6.5)                   # the host's beat writes what it kept in memory
            fresh = _count(db_url, end_ms - int(interval * 1000) - 5_000)
            beats = sent1 - sent0
            cpu = cpu1 - cpu0
            return {"pads": pads, "connected": connected.value, "ready_s": round(ready_s, 1),
                    "heartbeats": beats, "per_s": round(beats / (wall1 - wall0), 1),
                    "cpu_pct_of_core": round(100 * cpu / (wall1 - wall0), 1),
                    "cpu_ms_per_heartbeat": round(1000 * cpu / beats, 3) if beats else None,
                    "rss_mib": round(rss), "peak_rss_mib": round(peak),
                    "broker_rss_mib": round(broker_rss), "fresh_in_db": fresh,
                    "load": round(os.getloadavg()[0], 1)}
        finally:
            stop.set()
            for child in children:
                child.join(20)
                if child.is_alive():
                    child.kill()
            host.terminate()
            try:
                host.wait(30)
            except subprocess.TimeoutExpired:
                host.kill()
            server.stop()


def _pg_database() -> tuple[str, object]:
    import uuid

    import psycopg

    admin = psycopg.connect(PG_ADMIN_URL, autocommit=True)
    name = "evalpad_bench_" + uuid.uuid4().hex[:8]
    admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + name
    return url, (admin, name)


def once(pads: int, db: str, args: argparse.Namespace) -> dict:
    if db == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            return run(pads, f"sqlite:///{tmp}/bench.db", args.interval, args.measure, args.procs,
                       args.host_src, args.host_prefix.split() if args.host_prefix else None, not args.births)
    url, (admin, name) = _pg_database()  # type: ignore[misc]
    try:
        return run(pads, url, args.interval, args.measure, args.procs, args.host_src,
                   args.host_prefix.split() if args.host_prefix else None, not args.births)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[attr-defined]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pads", default="2000,10000,15000", help="comma-separated numbers of pads")
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--interval", type=float, default=30.0, help="heartbeat period, seconds")
    ap.add_argument("--measure", type=float, default=60.0, help="seconds measured")
    ap.add_argument("--procs", type=int, default=4, help="processes the pads are spread over")
    ap.add_argument("--host-src", default=None, help="run the ingest from this checkout (e.g. main)")
    ap.add_argument("--host-prefix", default="", help="run the ingest under this command, e.g. a profiler "
                    "(`py-spy record -o prof.svg --`)")
    ap.add_argument("--births", action="store_true", help="start with an empty status table: every pad's "
                    "birth is a transition (by default the pads are on already, as mid-day)")
    args = ap.parse_args()
    limit = _raise_nofile()
    results = []
    for n in (int(x) for x in args.pads.split(",")):
        if n + 100 > limit:
            print(f"{n} pads: skipped, Mosquitto may open only {limit} files (ulimit -Hn)")
            continue
        r = once(n, args.db, args)
        r["db"] = args.db
        results.append(r)
        print(f"{n:6d} pads every {args.interval:.0f} s on {args.db}: {r['per_s']:.0f} heartbeats/s, host "
              f"{r['cpu_pct_of_core']:.1f}% of a core, {r['cpu_ms_per_heartbeat']} ms CPU per heartbeat, "
              f"RSS {r['rss_mib']} MiB (peak {r['peak_rss_mib']}; broker {r['broker_rss_mib']} MiB), "
              f"{r['fresh_in_db']}/{n} seen in the last "
              f"interval per the database, all on after {r['ready_s']} s [load {r['load']}]", flush=True)
    print(json.dumps({"cores": os.cpu_count(), "host_src": args.host_src or str(ROOT), "runs": results},
                     indent=2))


if __name__ == "__main__":
    main()

"""Past one machine: three host instances on one PostgreSQL, one killed mid-stream (issue 15).

    .venv/bin/python bench/scaleout_bench.py [--pads 15000] [--hosts 3] [--procs 4]
        [--interval 30] [--event-every 60,120] [--steady 60] [--measure 45] [--after 150]
        [--host-src /path/to/other/checkout]

A throwaway PostgreSQL database with the pads registered, assigned and on (as mid-day), a
private Mosquitto (the project's config, open-file limit raised), ``--hosts`` processes of
``python -m host.ingest``, each its own instance and broker account on one shared
subscription (``EVALPAD_SHARE_GROUP``; docs/deploy.md "Several instances"), and the pads as
raw MQTT 3.1.1 connections over ``--procs`` processes (bench/heartbeat_bench.py's parts).
Every pad heartbeats every ``--interval`` s at its own phase and sends an evaluation every
60-120 s; it keeps each event until acknowledged and, as the firmware does
(firmware/pad/sender.py, protocol.md Delivery 2), resends every unacknowledged one when no
ack has come for ``RESEND_S`` (30 s) and after a reconnect.

After ``--steady`` s, CPU is measured over ``--measure`` s; then the last host gets
``kill -9``. The run goes on for ``--after`` s (CPU of the survivors measured over the last
``--measure`` of them), then the pads stop sending and the bench waits until every event is
acknowledged, checks the database (every sent (dev, seq) stored once; no pad taken for off
or unknown), and brings the killed host back (its broker session holds copies of its share:
they must store nothing new). Takeover: from the kill until every event that was sent and
not acknowledged at the kill is acknowledged; the events sent after the kill are shown
apart (Mosquitto keeps handing the dead instance's persistent session its share). Not a
test: it prints numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import json
import multiprocessing as mp
import os
import random
import signal
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from heartbeat_bench import (
    Pad,
    _count,
    _cpu_s,
    _pg_database,
    _prepare_db,
    _raise_nofile,
    _s,
    _status_kib,
    _varint,
    dev_id,
    host_env,
    open_pad,
    publish_packet,
    start_broker,
)

from protocol import acks, messages, spec, topics

GROUP = "evalpad"
RESEND_S = 30.0            # firmware/pad/sender.py RESEND_MS
TIMEOUT_BEATS = 3          # heartbeat_timeout_factor (R5)
CAUGHT_S = 5.0             # an ack later than this: the event waited for a resend (normal: < 1 s)


class EventPad(Pad):
    """A heartbeating pad (heartbeat_bench.Pad) that also sends events and keeps each until acked."""

    def __init__(self, dev: str) -> None:
        super().__init__(dev)
        self.event_topic = topics.topic(dev, spec.EVENT)
        self.seq = 0
        self.pending: dict[int, bytes] = {}       # sent, not acknowledged
        self.first_sent: dict[int, float] = {}    # seq -> wall time of its first publish
        self.acked_at: dict[int, float] = {}      # seq -> wall time of its ack
        self.resends: dict[int, int] = {}
        self.progress_at = 0.0                    # monotonic: last ack, or last (re)send from idle

    def next_event(self, now: float) -> bytes:
        self.seq += 1
        seq = self.seq
        ts = int(time.time() * 1000)
        msg = messages.event(self.dev, seq, 3, self.up + seq, ts, "eval", rating="satisfied",
                             svc=None, prompted=True)
        payload = messages.encode(msg)
        if not self.pending:
            self.progress_at = now
        self.pending[seq] = payload
        self.first_sent[seq] = time.time()
        return self._publish(payload)

    def _publish(self, payload: bytes) -> bytes:
        self.mid = self.mid % 65535 + 1
        return publish_packet(self.event_topic, payload, self.mid, retain=False)

    def resend_all(self, now: float) -> bytes:
        self.progress_at = now
        for seq in self.pending:
            self.resends[seq] = self.resends.get(seq, 0) + 1
        return b"".join(self._publish(p) for _, p in sorted(self.pending.items()))

    def on_ack(self, payload: bytes, now: float) -> None:
        ranges = messages.parse_ack(payload)["ack"]
        wall = time.time()
        for seq in list(self.pending):
            if acks.covers(ranges, seq):
                del self.pending[seq]
                self.acked_at[seq] = wall
        self.progress_at = now


def subscribe_packet(topic: str, mid: int) -> bytes:
    body = struct.pack("!H", mid) + _s(topic.encode()) + bytes([1])
    return b"\x82" + _varint(len(body)) + body


async def _read_packets(pad: EventPad, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """PUBACKs and SUBACKs ignored; an ack (PUBLISH QoS 1) applied and PUBACKed."""
    try:
        while True:
            head = await reader.readexactly(1)
            length, mult = 0, 1
            while True:
                b = (await reader.readexactly(1))[0]
                length += (b & 0x7F) * mult
                mult *= 128
                if not b & 0x80:
                    break
            body = await reader.readexactly(length)
            if head[0] >> 4 == 3:
                n = struct.unpack("!H", body[:2])[0]
                qos = (head[0] >> 1) & 3
                at = 2 + n
                if qos:
                    writer.write(b"\x40\x02" + body[at:at + 2])
                    at += 2
                pad.on_ack(body[at:], time.monotonic())
    except (asyncio.IncompleteReadError, ConnectionError):
        return


async def _pads(port: int, devs: list[str], interval: float, every: tuple[float, float], slot: int,
                shared: dict, result_q: mp.Queue) -> None:  # type: ignore[type-arg]
    gate = asyncio.Semaphore(100)
    pads = [EventPad(d) for d in devs]
    loop = asyncio.get_running_loop()
    readers: list[asyncio.Task] = []

    async def open_one(pad: EventPad) -> None:
        async with gate:
            reader, writer = await open_pad(pad.dev, port)
            pad.writer = writer
            writer.write(subscribe_packet(topics.topic(pad.dev, spec.ACK), 1))
            readers.append(loop.create_task(_read_packets(pad, reader, writer)))
            writer.write(pad.state())                  # birth (the database has it on already)
            with shared["connected"].get_lock():
                shared["connected"].value += 1

    await asyncio.gather(*(open_one(p) for p in pads))
    start = time.monotonic()
    # One heap of (due, kind, pad index): kind 0 heartbeat, 1 event.
    due = [(start + random.uniform(0, interval), 0, i) for i in range(len(pads))]
    due += [(start + random.uniform(0, every[1]), 1, i) for i in range(len(pads))]
    heapq.heapify(due)
    next_check = start + 1.0
    while not shared["stop"].is_set():
        now = time.monotonic()
        sending = not shared["stop_sending"].is_set()
        while due and due[0][0] <= now:
            t, kind, i = heapq.heappop(due)
            pad = pads[i]
            if kind == 0:
                pad.up += int(interval * 1000)
                pad.writer.write(pad.state())          # type: ignore[union-attr]
                heapq.heappush(due, (t + interval, 0, i))
            elif sending:
                pad.writer.write(pad.next_event(now))  # type: ignore[union-attr]
                heapq.heappush(due, (t + random.uniform(*every), 1, i))
        if now >= next_check:
            next_check = now + 1.0
            for pad in pads:
                if pad.pending and now - pad.progress_at >= RESEND_S:
                    pad.writer.write(pad.resend_all(now))   # type: ignore[union-attr]
            shared["unacked"][slot] = sum(len(p.pending) for p in pads)
            shared["sent"][slot] = sum(p.seq for p in pads)
        await asyncio.sleep(0.02)
    # Report before a clean DISCONNECT (no will: the pads do not go off).
    result_q.put([(p.dev, p.seq, sorted(p.pending),
                   [(s, p.first_sent[s], p.acked_at.get(s), p.resends.get(s, 0))
                    for s in range(1, p.seq + 1)])
                  for p in pads])
    for pad in pads:
        if pad.writer is not None:
            pad.writer.write(b"\xe0\x00")
            await pad.writer.drain()
            pad.writer.close()


def pad_process(port: int, devs: list[str], interval: float, every: tuple[float, float], slot: int,
                shared: dict, result_q: mp.Queue) -> None:  # type: ignore[type-arg]
    asyncio.run(_pads(port, devs, interval, every, slot, shared, result_q))


# -- hosts ------------------------------------------------------------------------------------

class Host:
    def __init__(self, name: str, env: dict[str, str], tmp: Path) -> None:
        self.name = name
        self.env = env
        self.log = tmp / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, wait: bool = True) -> Host:
        self.starts += 1
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "host.ingest"], env=self.env,
                                         cwd=self.log.parent, stdout=out, stderr=subprocess.STDOUT)
        return self.wait_subscribed() if wait else self

    def wait_subscribed(self) -> Host:
        assert self.proc is not None
        deadline = time.monotonic() + 60
        while self.log.read_text().count("subscribing") < self.starts:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{self.name} did not subscribe: {self.log.read_text()[-2000:]}")
            time.sleep(0.2)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _cpu_window(hosts: list[Host], seconds: float) -> dict[str, float]:
    alive = [h for h in hosts if h.alive()]
    cpu0, t0 = {h.name: _cpu_s(h.pid) for h in alive}, time.monotonic()
    time.sleep(seconds)
    wall = time.monotonic() - t0
    return {h.name: round(100 * (_cpu_s(h.pid) - cpu0[h.name]) / wall, 1) for h in alive if h.alive()}


def _pg_connections(admin: object, name: str) -> int:
    return int(admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s",  # type: ignore[attr-defined]
                             (name,)).fetchone()[0])


def _db_check(db_url: str) -> dict:
    from sqlmodel import Session, col, func, select

    from host.db import make_engine
    from host.models import DeviceStatus, Event, EventConflict, PowerInterval, RejectedMessage

    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            stored = set(s.execute(select(Event.device_id, Event.seq)).all())  # type: ignore[call-overload]
            rows = int(s.scalar(select(func.count()).select_from(Event)) or 0)
            not_on = int(s.scalar(select(func.count()).select_from(PowerInterval)
                                  .where(col(PowerInterval.state) != "on")) or 0)
            intervals = int(s.scalar(select(func.count()).select_from(PowerInterval)) or 0)
            off_now = int(s.scalar(select(func.count()).select_from(DeviceStatus)
                                   .where(col(DeviceStatus.power) != "on")) or 0)
            rejected = int(s.scalar(select(func.count()).select_from(RejectedMessage)) or 0)
            conflicts = int(s.scalar(select(func.count()).select_from(EventConflict)) or 0)
        return {"stored": {(d, q) for d, q in stored}, "rows": rows, "intervals_not_on": not_on,
                "intervals": intervals, "status_not_on": off_now, "rejected": rejected,
                "conflicts": conflicts}
    finally:
        engine.dispose()


def _pct(xs: list[float], p: float) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(p * len(xs)))], 1)


def run(args: argparse.Namespace) -> dict:
    pads, procs = args.pads, args.procs
    every = tuple(float(x) for x in args.event_every.split(","))
    url, (admin, name) = _pg_database()  # type: ignore[misc]
    hosts: list[Host] = []
    children: list[mp.Process] = []
    server = None
    shared = {"connected": mp.Value("q", 0), "stop": mp.Event(), "stop_sending": mp.Event(),
              "unacked": mp.Array("q", procs), "sent": mp.Array("q", procs)}
    result_q: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    out: dict = {"pads": pads, "hosts": args.hosts, "cores": os.cpu_count(), "host_src": args.host_src}
    try:
        with tempfile.TemporaryDirectory() as tmp_s:
            tmp = Path(tmp_s)
            t = time.monotonic()
            names = [f"host-{chr(ord('a') + k)}" for k in range(args.hosts)]
            server, passwords = start_broker(tmp, pads, names)
            # The pads are seeded on and last seen now: the hosts and the pads must be up well
            # within the heartbeat timeout (90 s) of this, or the hosts rightly take the pads
            # whose births they have not read yet for off (hence the hosts started together).
            _prepare_db(url, pads, seed=True)
            seeded = time.monotonic()
            for h in names:
                env = host_env(url, tmp, h, passwords[h], server.port, GROUP, "INFO")
                env["EVALPAD_DATA_DIR"] = str(tmp / ("data-" + h))
                if args.host_src:
                    env["PYTHONPATH"] = args.host_src
                hosts.append(Host(h, env, tmp).start(wait=False))
            for host in hosts:
                host.wait_subscribed()
            print(f"database, broker and {len(hosts)} hosts ready in {time.monotonic() - t:.0f} s",
                  flush=True)
            t0 = time.monotonic()
            for k in range(procs):
                devs = [dev_id(i) for i in range(k, pads, procs)]
                child = mp.Process(target=pad_process, args=(server.port, devs, args.interval, every, k,
                                                              shared, result_q))
                child.start()
                children.append(child)
            while shared["connected"].value < pads:
                if time.monotonic() - t0 > 600 or not all(c.is_alive() for c in children):
                    raise SystemExit(f"only {shared['connected'].value} of {pads} pads connected")
                time.sleep(1)
            out["connect_s"] = round(time.monotonic() - t0, 1)
            out["seeded_to_connected_s"] = round(time.monotonic() - seeded, 1)
            print(f"{pads} pads connected in {out['connect_s']} s ({out['seeded_to_connected_s']} s after "
                  f"the seed); steady for {args.steady} s", flush=True)
            time.sleep(args.steady)
            out["cpu_before"] = _cpu_window(hosts, args.measure)
            out["rss_before_mib"] = {h.name: round(_status_kib(h.pid, "VmRSS") / 1024) for h in hosts}
            out["pg_connections_before"] = _pg_connections(admin, name)
            print(f"before the kill: CPU % of a core {out['cpu_before']}, sent so far {sum(shared['sent'])}, "
                  f"unacked {sum(shared['unacked'])} [load {os.getloadavg()[0]:.1f}]", flush=True)

            victim = hosts[-1]
            assert victim.proc is not None
            kill_wall = time.time()
            kill_mono = time.monotonic()
            os.kill(victim.pid, signal.SIGKILL)
            victim.proc.wait(10)
            out["unacked_at_kill"] = sum(shared["unacked"])
            print(f"kill -9 {victim.name} ({out['unacked_at_kill']} events unacked at that moment); "
                  f"running {args.after} s more", flush=True)
            time.sleep(max(0.0, args.after - args.measure))
            out["cpu_after"] = _cpu_window(hosts, args.measure)
            print(f"after the kill: CPU % of a core {out['cpu_after']}, unacked {sum(shared['unacked'])} "
                  f"[load {os.getloadavg()[0]:.1f}]", flush=True)

            shared["stop_sending"].set()
            stopped_sending = time.monotonic()
            while sum(shared["unacked"]) > 0 and time.monotonic() - stopped_sending < args.drain:
                time.sleep(1)
            out["drain_s"] = round(time.monotonic() - stopped_sending, 1)
            out["unacked_at_end"] = sum(shared["unacked"])
            out["rss_mib"] = {h.name: round(_status_kib(h.pid, "VmRSS") / 1024) for h in hosts if h.alive()}
            out["broker_rss_mib"] = round(_status_kib(server.proc.pid, "VmRSS") / 1024) if server.proc else 0
            out["pg_connections"] = _pg_connections(admin, name)
            out["run_after_kill_s"] = round(time.monotonic() - kill_mono, 1)
            time.sleep(6.5)                   # the survivors' beat writes the last-seen times
            since = int(time.time() * 1000) - int(args.interval * 1000) - 5000
            out["on_seen_last_interval"] = _count(url, since)
            print(f"all acked {out['drain_s']} s after the pads stopped sending "
                  f"({out['unacked_at_end']} left); checking the database", flush=True)

            check = _db_check(url)
            # The killed host comes back: its broker session's copies of its share are duplicates.
            before_rows = check["rows"]
            victim.start()
            time.sleep(args.comeback)
            after = _db_check(url)
            out["comeback_new_rows"] = after["rows"] - before_rows
            out["comeback_cpu_s"] = round(_cpu_s(victim.pid), 1)

            shared["stop"].set()
            results = [x for _ in children for x in result_q.get(timeout=120)]
            for child in children:
                child.join(30)
            sent = {(dev, s) for dev, n, _, _ in results for s in range(1, n + 1)}
            stored = after["stored"]
            out["events"] = {"sent": len(sent), "stored": after["rows"], "distinct_stored": len(stored),
                             "duplicates": after["rows"] - len(stored), "lost": len(sent - stored),
                             "extra": len(stored - sent), "rejected": after["rejected"],
                             "conflicts": after["conflicts"]}
            out["liveness"] = {"power_intervals": after["intervals"],
                               "intervals_not_on": after["intervals_not_on"],
                               "pads_not_on_now": after["status_not_on"]}
            # Takeover. An event "caught" by the dead instance: sent from shortly before the kill
            # on and acknowledged late (> CAUGHT_S after its first publish: it went to the dead
            # instance's session and waited for the pad's resend). The survivors have taken over
            # when the last caught event is acknowledged; the last caught event's first publish
            # says how long the broker kept handing the dead instance its share.
            records = [r for _, _, _, rs in results for r in rs]
            outstanding = [r for r in records if r[1] < kill_wall and (r[2] is None or r[2] >= kill_wall)]
            caught = [r for r in records
                      if r[1] >= kill_wall - 10 and (r[2] is None or r[2] - r[1] > CAUGHT_S)]
            never = [r for r in caught if r[2] is None]
            out["takeover"] = {
                "outstanding_at_kill": len(outstanding), "caught": len(caught), "never_acked": len(never),
                "takeover_s": (round(max(r[2] for r in caught) - kill_wall, 1) if caught and not never
                               else None if never else 0.0),
                "last_caught_sent_s": round(max(r[1] for r in caught) - kill_wall, 1) if caught else None,
                "caught_wait_p50_s": _pct([r[2] - r[1] for r in caught if r[2]], 0.5),
                "caught_wait_max_s": _pct([r[2] - r[1] for r in caught if r[2]], 1.0),
                "heartbeat_timeout_s": TIMEOUT_BEATS * args.interval}
            before = [r[2] - r[1] for r in records if r[2] and r[2] < kill_wall]
            # The --measure seconds up to 10 s before the kill: the hall steady (the first minute
            # also holds the start, every host taking 15,000 births at once).
            steady = [r[2] - r[1] for r in records
                      if r[2] and kill_wall - args.measure <= r[1] < kill_wall - 10]
            out["latency_steady_before_kill"] = {"events": len(steady), "p50_s": _pct(steady, 0.5),
                                                 "p99_s": _pct(steady, 0.99), "max_s": _pct(steady, 1.0)}
            post = [r for r in records if r[1] >= kill_wall]
            lat = [r[2] - r[1] for r in post if r[2]]
            out["latency_before_kill"] = {"events": len(before), "p50_s": _pct(before, 0.5),
                                          "p99_s": _pct(before, 0.99), "max_s": _pct(before, 1.0)}
            out["latency_after_kill"] = {"events": len(post), "p50_s": _pct(lat, 0.5),
                                         "p99_s": _pct(lat, 0.99), "max_s": _pct(lat, 1.0),
                                         "resent": sum(1 for r in post if r[3]),
                                         "resent_2plus": sum(1 for r in post if r[3] >= 2)}
            out["load"] = round(os.getloadavg()[0], 1)
            return out
    finally:
        shared["stop"].set()
        for child in children:
            child.join(10)
            if child.is_alive():
                child.kill()
        for h in hosts:
            h.stop()
        if server is not None:
            server.stop()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[attr-defined]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pads", type=int, default=15000)
    ap.add_argument("--hosts", type=int, default=3)
    ap.add_argument("--procs", type=int, default=4, help="processes the pads are spread over")
    ap.add_argument("--interval", type=float, default=30.0, help="heartbeat period, seconds")
    ap.add_argument("--event-every", default="60,120", help="seconds between a pad's events: min,max")
    ap.add_argument("--steady", type=float, default=60.0, help="seconds from all connected to the measure")
    ap.add_argument("--measure", type=float, default=45.0, help="seconds of each CPU measure")
    ap.add_argument("--after", type=float, default=150.0, help="seconds of sending after the kill")
    ap.add_argument("--drain", type=float, default=600.0, help="at most this long for the last acks")
    ap.add_argument("--host-src", default=None, help="run the hosts from this checkout (e.g. main)")
    ap.add_argument("--comeback", type=float, default=20.0, help="seconds given to the killed host back")
    args = ap.parse_args()
    limit = _raise_nofile()
    if args.pads + 100 > limit:
        raise SystemExit(f"Mosquitto may open only {limit} files (ulimit -Hn)")
    r = run(args)
    ev, tk = r["events"], r["takeover"]
    print(f"{r['pads']} pads over {r['hosts']} hosts: events sent {ev['sent']}, stored {ev['stored']}, "
          f"duplicates {ev['duplicates']}, lost {ev['lost']}; takeover {tk['takeover_s']} s "
          f"(heartbeat timeout {tk['heartbeat_timeout_s']:.0f} s); pads taken for off/unknown: "
          f"{r['liveness']['intervals_not_on']}", flush=True)
    print(json.dumps(r, indent=2))


if __name__ == "__main__":
    main()

"""Simulator benchmarks (not timed tests): print numbers for the issue's closing note.

    .venv/bin/python bench/sim_bench.py hall [--scenario qingpu-hall] [--days N] [--check]
        One scenario through the real firmware, broker and host (as `evalpad simulate`):
        wall time, simulated days, events stored per wall second, host CPU; with --check also
        the comparison with the truth and which differences are documented (issue 15's criterion).
    .venv/bin/python bench/sim_bench.py pads [--pads 300] [--rounds 20]
        How many pads one simulator process drives: pad loop steps per second with every pad
        connected and heartbeating, and what that allows at real time (a step per pad every
        QUANTUM_MS of simulated time).
    .venv/bin/python bench/sim_bench.py host [--pads 2000] [--seconds 120]
        The host's CPU and memory with N connected pads heartbeating every 30 s at real time
        (host = `host.service.run` in its own process; loopback only; bounded run).
"""

from __future__ import annotations

import argparse
import logging
import secrets
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from host.broker.mosquitto import Mosquitto, hash_password, read_passwords, write_passwords
from host.clock import ManualClock, SystemClock
from host.db import make_engine, upgrade
from simulator import checker
from simulator import scenario as scenarios
from simulator.engine import QUANTUM_MS
from simulator.host_link import register_hall
from simulator.pad import SimPad
from simulator.run import SIM_HOST, HostProcess, simulate
from simulator.scenario import PadSettings, Scenario


def hall(args: argparse.Namespace) -> None:
    sc = scenarios.load(args.scenario)
    if args.start or args.days:
        start = date.fromisoformat(args.start) if args.start else sc.period.start
        end = start + timedelta(days=args.days - 1) if args.days else sc.period.end
        sc = sc.model_copy(update={"period": sc.period.model_copy(update={"start": start, "end": end})})
    work = Path(tempfile.mkdtemp(prefix="sim-bench-"))
    t0, c0 = time.monotonic(), time.process_time()
    out = simulate(sc, work, check=args.check)
    wall, sim_cpu = time.monotonic() - t0, time.process_time() - c0
    from sqlalchemy import func
    from sqlmodel import Session, select

    from host.models import Event

    with Session(make_engine(out.db_url)) as s:
        stored = s.exec(select(func.count()).select_from(Event)).one()
    days = out.stats.sim_ms / 86_400_000
    print(f"scenario {args.scenario}: {len(sc.hall.windows)} pads, {days:.1f} simulated days")
    print(f"wall {wall:.1f} s ({days * 86400 / wall:.0f}x real time); {len(out.truth.evals)} evaluations, "
          f"{stored} events stored -> {stored / wall:.1f} events/s")
    print(f"pad loop steps {out.stats.steps}, actions {out.stats.actions}, syncs {out.stats.syncs} "
          f"(waited {out.stats.sync_wait_s:.1f} s), host CPU {out.host_cpu_s:.1f} s, "
          f"simulator CPU {sim_cpu:.1f} s")
    print(f"of the waits: {out.heard_wait_s:.1f} s for the host to hear the pads' heartbeats, "
          f"{out.feed_s:.1f} s recording queue sessions")
    if args.days and days:
        print(f"a 31-day month at this rate: about {wall * 31 / days / 60:.0f} min")
    for month, rows in out.rows.items():    # --check: issue 15's criterion, as `evalpad simulate` says it
        explained = checker.explain(rows, out.known[month], out.truth) if month in out.known else []
        print(f"{month}: {checker.summary(rows)}", *explained, sep="\n  ")
    shutil.rmtree(work, ignore_errors=True)


def _hall_of(n: int, prefix: str) -> Scenario:
    windows = [{"number": f"W{i:04d}", "name": f"窗口{i}"} for i in range(n)]
    return scenarios.Scenario.model_validate({
        "hall": {"name": "bench", "device_prefix": prefix, "windows": windows},
        "period": {"start": "2026-10-12", "end": "2026-10-12"}})


def _accounts(broker: Mosquitto, devs: list[str]) -> dict[str, str]:
    """Broker passwords for many pads in one write and one reload (the per-pad path reloads each time)."""
    users = read_passwords(broker.password_file)
    out = {}
    for d in devs:
        out[d] = secrets.token_urlsafe(9)
        users[d] = hash_password(out[d])
    write_passwords(broker.password_file, users)
    broker.reload()
    return out


def _pads(sc: Scenario, broker: Mosquitto, work: Path, now_ms: int) -> list[SimPad]:
    devs = [sc.device_of(w) for w in sc.hall.windows]
    pw = _accounts(broker, devs)
    pads = []
    for w, d in zip(sc.hall.windows, devs, strict=True):
        p = SimPad(w.number, d, work / d, (broker.bind, broker.port), pw[d], PadSettings())
        p.switch_on(now_ms)
        pads.append(p)
    return pads


def pads(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="sim-bench-"))
    broker = Mosquitto(work / "broker")
    broker.start()
    try:
        sc = _hall_of(args.pads, "bp")
        now = scenarios.Scenario.start_ms.fget(sc)  # type: ignore[attr-defined]
        ps = _pads(sc, broker, work / "pads", now)
        for _ in range(50):                        # connect (backoff is in simulated time)
            now += 1_000
            for p in ps:
                p.advance_to(now)
                p.step()
        connected = sum(p.connected for p in ps)
        t0 = time.monotonic()
        steps = 0
        for _ in range(args.rounds):
            now += QUANTUM_MS
            for p in ps:
                p.advance_to(now)
                p.step()
                steps += 1
        wall = time.monotonic() - t0
        rate = steps / wall
        print(f"{args.pads} pads ({connected} connected), {args.rounds} rounds of {QUANTUM_MS // 1000} s "
              f"simulated: {steps} loop steps in {wall:.1f} s = {rate:.0f} pad-steps/s")
        print(f"at real time (one step per pad every {QUANTUM_MS // 1000} s plus button runs) one process "
              f"drives about {rate * QUANTUM_MS / 1000 / 2:.0f} pads (half the CPU left for presses)")
        for p in ps:
            p.cut_power()
    finally:
        broker.stop()
        shutil.rmtree(work, ignore_errors=True)


def host(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="sim-bench-"))
    broker = Mosquitto(work / "broker")
    broker.start()
    host_pw = secrets.token_urlsafe(12)
    broker.add_user(SIM_HOST, host_pw)
    db_url = f"sqlite:///{work / 'evalpad.db'}"
    upgrade(db_url)
    engine = make_engine(db_url)
    sc = _hall_of(args.pads, "hp")
    clock = SystemClock()
    t0 = time.monotonic()
    register_hall(engine, sc, ManualClock(clock.now_ms() - 60_000))
    print(f"registered {args.pads} windows and pads in {time.monotonic() - t0:.1f} s")
    proc = HostProcess({"EVALPAD_DATABASE_URL": db_url, "EVALPAD_DATA_DIR": str(work),
                        "EVALPAD_MQTT_URL": f"mqtt://{SIM_HOST}:{host_pw}@{broker.bind}:{broker.port}"},
                       work, None)
    ps: list[SimPad] = []
    try:
        proc.wait_started(engine)
        ps = _pads(sc, broker, work / "pads", clock.now_ms())
        cpu0, w0 = proc.cpu_s(), time.monotonic()
        samples = []
        while time.monotonic() - w0 < args.seconds:
            now = clock.now_ms()
            for p in ps:                   # real time: heartbeats every 30 s, pings when idle
                p.advance_to(now)
                p.step()
            samples.append(proc.rss_mb())
            time.sleep(0.5)
        wall = time.monotonic() - w0
        cpu = proc.cpu_s() - cpu0
        connected = sum(p.connected for p in ps)
        print(f"{args.pads} pads, {connected} connected, heartbeating every 30 s for {wall:.0f} s: host CPU "
              f"{cpu:.1f} s = {100 * cpu / wall:.1f}% of one core, RSS {samples[-1]:.0f} MB "
              f"(max {max(samples):.0f} MB)")
    finally:
        for p in ps:
            p.cut_power()
        proc.stop()
        broker.stop()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    a = sub.add_parser("hall")
    a.add_argument("--scenario", default="qingpu-hall")
    a.add_argument("--days", type=int, default=0, help="only the first N days of the period")
    a.add_argument("--start", default="", help="start the period on this day (YYYY-MM-DD) instead")
    a.add_argument("--check", action="store_true", help="compare the host's report with the truth "
                   "(wall time includes it) and say which differences are documented")
    b = sub.add_parser("pads")
    b.add_argument("--pads", type=int, default=300)
    b.add_argument("--rounds", type=int, default=20)
    c = sub.add_parser("host")
    c.add_argument("--pads", type=int, default=2000)
    c.add_argument("--seconds", type=float, default=120)
    args = ap.parse_args()
    {"hall": hall, "pads": pads, "host": host}[args.what](args)


if __name__ == "__main__":
    main()

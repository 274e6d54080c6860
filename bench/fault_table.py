"""Faults mid-stream: events sent / stored / lost / doubled, per fault (issue 10's note).

    .venv/bin/python bench/fault_table.py [--pads 4] [--events 300] [--only kill9_host,...]

Each row is a fresh run: ``--pads`` pads (paho clients speaking contract v1, each with its
own broker account; they resend what is not acknowledged after every reconnect, and on a
timer at the end, as the firmware does) stream ``--events`` events each while the fault
is injected once a third of them are stored. Then the pads resend until all is
acknowledged (or 90 s pass) and the database is counted:

- ``kill9_host``: ``kill -9`` of the ingest (``python -m host.ingest``, SQLite), restarted.
- ``broker_sigterm`` / ``broker_sigkill``: the project's Mosquitto stopped with SIGTERM
  (it saves its store) or SIGKILL (it does not), started again on the same port.
- ``db_restart``: ``pg_ctl restart -m fast`` of a PostgreSQL cluster made for this run
  (initdb in a temporary directory on a free port, run as user postgres; the machine's
  shared PostgreSQL is never touched).
- ``builtin_crash``: ``kill -9`` of the Mosquitto that `evalpad serve` started itself
  (no broker configured); serve's watchdog starts a new one.

sent = distinct (pad, seq) published; stored = distinct rows; lost = sent but not stored;
doubled = rows beyond one per (pad, seq) (the unique key makes it 0 unless broken);
unacked = still unacknowledged at the end; recovered = seconds from the end of the fault
(the process or server started again; for the built-in broker, the kill) to the first event
stored after it. Not a test: it prints a table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from host.broker import accounts  # noqa: E402
from host.broker.mosquitto import Mosquitto, free_port  # noqa: E402
from host.db import make_engine, upgrade  # noqa: E402
from host.models import Event  # noqa: E402
from tests.conftest import Broker  # noqa: E402
from tests.ingest.conftest import place  # noqa: E402
from tests.ingest.pads import SimPad  # noqa: E402

SCENARIOS = ("kill9_host", "broker_sigterm", "broker_sigkill", "db_restart", "builtin_crash")
PACE_S = 0.01
SETTLE_S = 90.0


@dataclass
class Row:
    fault: str
    database: str
    sent: int
    stored: int
    lost: int
    doubled: int
    unacked: int
    recovered_s: float | None
    sent_at_fault: int          # < sent: the fault hit mid-stream


def counts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as s:
        rows = s.exec(select(func.count()).select_from(Event).where(Event.type == "eval")).one()
        distinct = s.exec(select(func.count()).select_from(
            select(Event.device_id, Event.seq).where(Event.type == "eval").distinct().subquery())).one()
    return int(rows), int(distinct)


def wait(cond: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)


def stored_now(engine: Engine) -> int:
    try:
        return counts(engine)[1]
    except Exception:          # the database is restarting
        return -1


# -- the pieces ------------------------------------------------------------------------------

@contextmanager
def pg_cluster() -> Iterator[tuple[str, Callable[[], None]]]:
    """A PostgreSQL cluster of our own (initdb, pg_ctl) on a free port; yields (url, restart)."""
    bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    tmp = Path(tempfile.mkdtemp(prefix="fault-pg-"))
    data, sock = tmp / "pgdata", tmp / "pgsock"
    for d in (data, sock):
        d.mkdir()
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_pg:
        shutil.chown(tmp, "postgres")
        for d in (data, sock):
            shutil.chown(d, "postgres")
    port = free_port()
    subprocess.run([*as_pg, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"],
                   check=True, stdout=subprocess.DEVNULL)
    ctl = [*as_pg, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(tmp / "pg.log"), "-w",
           "-o", f"-p {port} -k {sock} -c listen_addresses=127.0.0.1"]
    subprocess.run([*ctl, "start"], check=True, stdout=subprocess.DEVNULL)

    def restart() -> None:
        subprocess.run([*ctl, "-m", "fast", "restart"], check=True, stdout=subprocess.DEVNULL)

    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres", restart
    finally:
        subprocess.run([*ctl, "-m", "immediate", "stop"], stdout=subprocess.DEVNULL)
        shutil.rmtree(tmp, ignore_errors=True)


class Child:
    """A host process (`python -m host.ingest` or `evalpad serve`) logging to a file."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.argv, self.env, self.log = argv, env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Child:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(self.argv, env=self.env, cwd=self.log.parent, stdout=out,
                                         stderr=subprocess.STDOUT)
        return self

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class BuiltinBrokerPads:
    """Pad accounts on the broker `evalpad serve` runs (as `evalpad device add` makes them)."""

    def __init__(self, data: Path, port: int) -> None:
        self.host, self.port, self.directory = "127.0.0.1", port, data / "broker"

    def add_pad(self, dev: str) -> str:
        return accounts.issue_pad_password(self.directory, dev)


# -- one run ---------------------------------------------------------------------------------

def run(fault: str, pads_n: int, events: int) -> Row:
    tmp = Path(tempfile.mkdtemp(prefix=f"fault-{fault}-"))
    env = {**os.environ, "EVALPAD_DATA_DIR": str(tmp / "data")}
    for var in ("EVALPAD_MQTT_URL", "EVALPAD_DATABASE_URL", "EVALPAD_INSTANCE"):
        env.pop(var, None)
    with contextmanager_stack(fault, tmp) as (db_url, restart_db):
        env["EVALPAD_DATABASE_URL"] = db_url
        upgrade(db_url)
        engine = make_engine(db_url)
        devs = [f"ft-{i:03d}" for i in range(pads_n)]
        for d in devs:
            place(engine, d)
        server: Mosquitto | None = None
        host: Child
        if fault == "builtin_crash":
            http, mqtt_port = free_port(), free_port()
            env.update(EVALPAD_HTTP_PORT=str(http), EVALPAD_BROKER_PORT=str(mqtt_port),
                       EVALPAD_BROKER_BIND="127.0.0.1")
            host = Child([sys.executable, "-m", "host.cli", "serve"], env, tmp / "host.log").start()
            pid_file = tmp / "data" / "broker" / "mosquitto.pid"
            wait(lambda: pid_file.exists() and "subscribing" in (tmp / "host.log").read_text(), 60, "serve")
            where: object = BuiltinBrokerPads(tmp / "data", mqtt_port)
        else:
            server = Mosquitto(tmp / "broker")
            server.start()
            broker = Broker(server)
            env.update(EVALPAD_MQTT_URL=broker.host_url(), EVALPAD_INSTANCE=broker.HOST)
            host = Child([sys.executable, "-m", "host.ingest"], env, tmp / "host.log").start()
            wait(lambda: "subscribing" in (tmp / "host.log").read_text(), 60, "the ingest")
            where = broker
        pads = [SimPad(where, d) for d in devs]
        threads = [threading.Thread(target=stream, args=(p, events), daemon=True) for p in pads]
        for t in threads:
            t.start()
        wait(lambda: stored_now(engine) >= pads_n * events // 3, 60, "a third stored")
        sent_at_fault = sum(len(p.sent) for p in pads)
        inject(fault, host, server, restart_db, tmp)
        watch = Recovery(engine)
        for t in threads:
            t.join()
        deadline = time.monotonic() + SETTLE_S
        for p in pads:
            while not p.wait_acked(range(1, events + 1), timeout=3) and time.monotonic() < deadline:
                p.resend_unacked()          # the firmware resends what is not acknowledged
        recovered = watch.stop()
        rows, distinct = counts(engine)
        sent = sum(len(p.sent) for p in pads)
        unacked = sum(len(p.unacked()) for p in pads)
        for p in pads:
            p.close()
        host.stop()
        if server is not None:
            server.stop()
        engine.dispose()
    shutil.rmtree(tmp, ignore_errors=True)
    return Row(fault, "PostgreSQL" if fault == "db_restart" else "SQLite", sent, distinct,
               sent - distinct, rows - distinct, unacked, recovered, sent_at_fault)


class Recovery:
    """From the fault on: when the first event after it was stored (polled every 0.1 s)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.before = stored_now(engine)
        self.t0 = time.monotonic()
        self.at: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while self.at is None and not self._stop.wait(0.1):
            if stored_now(self.engine) > self.before:
                self.at = time.monotonic() - self.t0

    def stop(self) -> float | None:
        self._stop.set()
        self._thread.join()
        return self.at


def stream(pad: SimPad, events: int) -> None:
    for seq in range(1, events + 1):
        pad.send(seq, up=20_000 * seq)
        time.sleep(PACE_S)


def inject(fault: str, host: Child, server: Mosquitto | None, restart_db: Callable[[], None] | None,
           tmp: Path) -> None:
    if fault == "kill9_host":
        host.kill9()
        host.start()
    elif fault in ("broker_sigterm", "broker_sigkill"):
        assert server is not None
        server.stop(kill=fault == "broker_sigkill")
        server.start()
    elif fault == "db_restart":
        assert restart_db is not None
        restart_db()
    elif fault == "builtin_crash":
        os.kill(int((tmp / "data" / "broker" / "mosquitto.pid").read_text()), signal.SIGKILL)


@contextmanager
def contextmanager_stack(fault: str, tmp: Path) -> Iterator[tuple[str, Callable[[], None] | None]]:
    if fault == "db_restart":
        with pg_cluster() as (url, restart):
            yield url, restart
    else:
        (tmp / "data").mkdir(parents=True)
        yield f"sqlite:///{tmp / 'data' / 'evalpad.db'}", None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pads", type=int, default=4)
    ap.add_argument("--events", type=int, default=300, help="per pad")
    ap.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated faults to run")
    args = ap.parse_args()
    rows = []
    for fault in args.only.split(","):
        if fault not in SCENARIOS:
            raise SystemExit(f"unknown fault {fault!r}; choose from {', '.join(SCENARIOS)}")
        row = run(fault, args.pads, args.events)
        rows.append(row)
        print(f"{row.fault}: {row}", flush=True)
    print()
    print("| fault | database | sent (at the fault) | stored | lost | doubled | unacked at end "
          "| first event stored after the fault |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        rec = f"{r.recovered_s:.1f} s" if r.recovered_s is not None else "-"
        print(f"| {r.fault} | {r.database} | {r.sent} ({r.sent_at_fault}) | {r.stored} | {r.lost} "
              f"| {r.doubled} | {r.unacked} | {rec} |")
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()

"""Play a scenario end to end: broker, the real host on the simulated clock, pads, check.

``simulate(sc, workdir)`` is what ``evalpad simulate`` and the end-to-end test call. It starts
(or uses) a Mosquitto, registers the hall in the host's database, starts the host
(``simulator.host_process`` = ``host.service.run``) as its own process on a ``SharedClock``,
plays the hall, stops the host cleanly, and compares the host's report of each month with
the ground truth, window by window.
"""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session, select

from host.broker.mosquitto import Mosquitto
from host.clock import ManualClock
from host.db import make_engine, upgrade
from host.models import DeviceStatus, Event, HostBeat, Window
from host.rules.month_span import month_of, month_span
from host.scoring.months import close_month, month_view
from host.scoring.view import MonthView
from simulator.checker import Row, as_host_knows, compare, host_candidates, host_national
from simulator.engine import QUANTUM_MS, HallEngine, Stats
from simulator.host_link import QueueFeed, QueuePublisher, accounts_in, pad_accounts, register_hall
from simulator.management import ManagementDesk, configure
from simulator.pad import SimPad
from simulator.scenario import Scenario
from simulator.shared_clock import SharedClock
from simulator.truth import Truth, truth_national, truth_scores

log = logging.getLogger(__name__)

DAY_MS = 86_400_000
HOST_START_TIMEOUT_S = 30.0
SUBSCRIBE_GRACE_S = 0.5       # the host subscribes right after its first beat
HOST_STOP_TIMEOUT_S = 30.0
SETTLE_TIMEOUT_S = 10.0
FEED_EVERY_MS = 15 * 60_000   # queue-system sessions reach the host at least this often
SETTLE_POLL_S = 0.002         # the host commits a batch within milliseconds: look again soon
HEARTBEAT_TIMEOUT_FACTOR = 3  # host.settings.Settings.heartbeat_timeout_factor's default
SIM_HOST = "host-sim"         # the simulated host's instance name = its broker account (Delivery 7)
QUEUE_ACCOUNT = "host-queue"  # the queue system's own host account, for its prompts (issue 16)


@dataclass
class Outcome:
    truth: Truth
    stats: Stats
    views: dict[str, MonthView] = field(default_factory=dict)
    rows: dict[str, list[Row]] = field(default_factory=dict)
    national: dict[str, list[Row]] = field(default_factory=dict)   # 好差评 (a scenario's goodbad)
    # the host against the truth as a host can know it (checker.as_host_knows): must all agree
    known: dict[str, list[Row]] = field(default_factory=dict)
    closed: list[str] = field(default_factory=list)      # months closed at the end (R11)
    db_url: str = ""
    events_stored: int = 0
    host_cpu_s: float = 0.0
    heard_wait_s: float = 0.0     # of the engine's sync waits: for the host to hear the pads
    feed_s: float = 0.0           # and to record the queue system's sessions


def months_of(sc: Scenario) -> list[str]:
    out: list[str] = []
    for d in sc.days():
        m = d.strftime("%Y-%m")
        if m not in out:
            out.append(m)
    return out


class HostProcess:
    """The host as a child process: ``python -m simulator.host_process`` = ``host.service.run``.

    ``env`` adds EVALPAD_* settings to ours; ``clock_file`` shares the simulated clock (None:
    real time); ``http`` serves the API and pages too.
    """

    def __init__(self, env: dict[str, str], data_dir: Path, clock_file: Path | None, *,
                 http: bool = False, instance: str = SIM_HOST) -> None:
        self.instance = instance
        full = {**os.environ, "EVALPAD_INSTANCE": instance, **env}
        cmd = [sys.executable, "-m", "simulator.host_process"]
        if clock_file is not None:
            cmd += ["--clock", str(clock_file)]
        if http:
            cmd.append("--http")
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = data_dir / "host.log"
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - open for the child's lifetime
        self.proc = subprocess.Popen(cmd, env=full, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_started(self, engine: object) -> None:
        deadline = time.monotonic() + HOST_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the host exited at start ({self.proc.returncode}); see {self.log_path}")
            try:
                with Session(engine) as s:  # type: ignore[arg-type]
                    if s.get(HostBeat, self.instance) is not None:
                        time.sleep(SUBSCRIBE_GRACE_S)
                        return
            except (OperationalError, ProgrammingError):
                pass                         # the host is still creating the schema
            time.sleep(0.1)
        raise RuntimeError(f"the host did not start within {HOST_START_TIMEOUT_S:.0f}s; see {self.log_path}")

    def cpu_s(self) -> float:
        """User + system CPU seconds of the host process so far (Linux /proc)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return 0.0

    def rss_mb(self) -> float:
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()            # SIGTERM: the ingest drains, commits, acknowledges
            try:
                self.proc.wait(HOST_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                log.warning("host did not stop within %.0fs; killing it", HOST_STOP_TIMEOUT_S)
                self.proc.kill()
                self.proc.wait()
        self._log.close()


class HostHeard:
    """What the host has heard from each pad, as it committed it (``DeviceStatus.last_seen_ms``).

    Acknowledged events prove the events were committed; heartbeats are not acknowledged.
    The host judges a pad off after a silence of ``heartbeat_timeout_factor`` heartbeats on
    the shared clock, so before the clock moves on the host must have taken in messages recent
    enough (``need_ms``, or the pad's newest heartbeat if older) that it cannot mistake messages
    still on their way for silence. What it has heard only grows, so a pad already known to be
    heard recently enough costs no query; the rest are read on one connection per wait (no ORM
    session per look), each look its own short transaction. A look reads every pad's row with
    one statement built once: the clock waits while it looks, and the host it waits for shares
    the machine (an IN list of the pads behind cost a new statement per look, twice the CPU).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.seen: dict[str, int] = {}
        self.queries = 0
        self.wait_s = 0.0
        t = DeviceStatus.__table__  # type: ignore[attr-defined]
        self._query = sa_select(t.c.device_id, t.c.last_seen_ms).where(t.c.last_seen_ms.is_not(None))

    def settled(self, pads: dict[str, SimPad], need_ms: int, timeout_s: float = SETTLE_TIMEOUT_S) -> bool:
        want: dict[str, int] = {}
        seen = self.seen
        for p in pads.values():
            if seen.get(p.dev, 0) >= need_ms:
                continue                     # heard recently enough whatever it sent last
            if p.connected and p.app is not None and p.app.last_state and p.hal is not None:
                last_state_at = p.hal.now - (p.app.clock.up_ms() - p.app.last_state)
                w = min(need_ms, last_state_at)
                if seen.get(p.dev, 0) < w:
                    want[p.dev] = w
        if not want:
            return True
        t0 = time.monotonic()
        try:
            return self._wait(want, timeout_s)
        finally:
            self.wait_s += time.monotonic() - t0

    def _wait(self, want: dict[str, int], timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        with self.engine.connect() as conn:
            while True:
                self.queries += 1
                for dev, seen in conn.execute(self._query):
                    if seen > self.seen.get(dev, 0):
                        self.seen[dev] = seen
                conn.rollback()              # the next look sees the host's newer commits
                behind = [d for d, w in want.items() if self.seen.get(d, 0) < w]
                if not behind:
                    return True
                if time.monotonic() > deadline:
                    log.warning("host has not heard the newest heartbeat of %d pads within %.0fs",
                                len(behind), timeout_s)
                    return False
                time.sleep(SETTLE_POLL_S)


def simulate(sc: Scenario, workdir: Path, *, db_url: str | None = None, broker: Mosquitto | None = None,
             speed: float | None = None, sync_ms: int | None = None, quantum_ms: int = QUANTUM_MS,
             progress: Callable[[int], None] | None = None, check: bool = True,
             close: bool = False) -> Outcome:
    workdir.mkdir(parents=True, exist_ok=True)
    own_broker = broker is None
    server = broker or Mosquitto(workdir / "broker")
    host_password = secrets.token_urlsafe(12)
    if own_broker:
        server.write_config()
        server.start()
    server.add_user(SIM_HOST, host_password)   # its own account = its client id
    db_url = db_url or f"sqlite:///{(workdir / 'evalpad.db').resolve()}"
    upgrade(db_url)
    engine = make_engine(db_url)
    clock = SharedClock(workdir / "clock", start_ms=sc.start_ms - DAY_MS)   # registered the day before
    pads: dict[str, SimPad] = {}
    host: HostProcess | None = None
    try:
        register_hall(engine, sc, clock)
        configure(engine, sc, clock)             # 好差评 deadlines, when the scenario has a goodbad section
        passwords = pad_accounts(sc, accounts_in(server.directory, server.prefix))
        for w in sc.hall.windows:
            dev = sc.device_of(w)
            pads[w.number] = SimPad(w.number, dev, workdir / "pads" / dev, (server.bind, server.port),
                                    passwords[dev], sc.pads, w.name)
        host = HostProcess({"EVALPAD_DATABASE_URL": db_url, "EVALPAD_DATA_DIR": str(workdir),
                            "EVALPAD_MQTT_URL": f"mqtt://{SIM_HOST}:{host_password}@{server.bind}:{server.port}"},
                           workdir, workdir / "clock")
        host.wait_started(engine)
        publisher: QueuePublisher | None = None
        if sc.hall.queue_prompts:        # the queue system prompts with case numbers (issue 16)
            queue_password = secrets.token_urlsafe(12)
            server.add_user(QUEUE_ACCOUNT, queue_password)
            publisher = QueuePublisher(server.bind, server.port, QUEUE_ACCOUNT, queue_password)
        feed = QueueFeed(engine, clock, publisher or _no_publish)
        # A checkpoint at every step of the grid: the host may lag up to its heartbeat timeout
        # (3 beats) less two steps without the clock waiting for it (a checkpoint every
        # heartbeat allowed a beat less, and the clock waited three times as often).
        sync_ms = sync_ms or quantum_ms
        # The host's heartbeat timeout must not expire while the clock runs to the next sync.
        slack = max(0, HEARTBEAT_TIMEOUT_FACTOR * sc.pads.heartbeat_s * 1000 - sync_ms - quantum_ms)

        desks: list[ManagementDesk] = []         # the management section (a scenario's goodbad)
        heard = HostHeard(engine)
        # As fast as it goes, the queue system reports its sessions in batches (each with its
        # own at_ms, as a queue system that was offline does): every flush takes the database's
        # write lock from the host's ingest, so fewer flushes keep the host's commits flowing.
        # Paced (a demo at N x real time), it reports at every checkpoint.
        feed_every = FEED_EVERY_MS if speed is None else 0
        last_feed = [clock.now_ms()]

        def on_sync() -> None:
            now = clock.now_ms()
            if now - last_feed[0] >= feed_every:
                feed.flush()
                last_feed[0] = now
            for desk in desks:
                desk.tick()
            heard.settled(pads, now - slack)

        hall = HallEngine(sc, pads, clock, speed=speed, sync_ms=sync_ms, quantum_ms=quantum_ms,  # type: ignore[arg-type]
                          on_service=feed, on_sync=on_sync, restart_broker=server.restart,
                          on_queue_prompt=feed.prompt if publisher is not None else None)
        if sc.goodbad is not None:
            desks.append(ManagementDesk(engine, sc, clock, hall.truth))
        stats = hall.run(progress)
        feed.flush()
        for desk in desks:
            desk.tick()                              # the last bad reviews' cases opened
        if publisher is not None:
            publisher.stop()
        outcome = Outcome(hall.truth, stats, db_url=db_url, heard_wait_s=heard.wait_s, feed_s=feed.flush_s)
        for p in pads.values():
            p.cut_power()
        outcome.host_cpu_s = host.cpu_s()
        host.stop()
        host = None
        if close:
            outcome.closed = _close_months(sc, engine, clock.now_ms())
        if check:
            _check(sc, engine, clock.now_ms(), outcome)
        return outcome
    finally:
        for p in pads.values():
            p.cut_power()
        if host is not None:
            host.stop()
        engine.dispose()
        if own_broker:
            server.stop()


CLOSED_BY = "管理科(模拟)"


def _close_months(sc: Scenario, engine: object, now_ms: int) -> list[str]:
    """Close every month of the scenario that has ended, as the management section does (R11):
    the checker then reads the closed snapshot, which is what is fed back to the windows."""
    closed = []
    with Session(engine) as s:  # type: ignore[arg-type]
        for month in months_of(sc):
            if month_span(month).end_ms <= now_ms:
                close_month(s, month, ManualClock(now_ms), by=CLOSED_BY,
                            reason=f"模拟 {sc.hall.name} {month} 月度考核")
                closed.append(month)
    return closed


def _no_publish(topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
    """The simulated queue system never asks the host to prompt (staff use the key), unless the
    scenario's hall says ``queue_prompts``."""


def _check(sc: Scenario, engine: object, now_ms: int, outcome: Outcome) -> None:
    clock = ManualClock(now_ms)
    with Session(engine) as s:  # type: ignore[arg-type]
        outcome.events_stored = s.exec(select(func.count()).select_from(Event)).one()
        ids = {w.number: w.id for w in s.exec(select(Window)).all()}
        for month in months_of(sc):
            if month_of(now_ms) < month:
                continue
            view = month_view(s, month, clock)
            cands = {n: host_candidates(s, month, clock, i) for n, i in ids.items() if i is not None}
            truth = truth_scores(sc, outcome.truth, month, volume_from_sessions=True, until_ms=now_ms)
            outcome.views[month] = view
            outcome.rows[month] = compare(sc, view, truth, cands)
            if sc.goodbad is not None:
                outcome.national[month] = host_national(s, sc, month, now_ms,
                                                        truth_national(sc, outcome.truth, month, now_ms))
            known = truth_scores(sc, as_host_knows(outcome.truth), month, volume_from_sessions=True,
                                 until_ms=now_ms)
            outcome.known[month] = compare(sc, view, known, cands)

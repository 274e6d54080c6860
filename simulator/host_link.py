"""The simulator's side of the host: register the hall, run the host's ingest in-process, feed it
the queue system's service sessions, and read its monthly report.

Everything goes through the host's own functions (``host.fleet``, ``host.broker.accounts``,
``host.queue_hook``, ``host.ingest.pipeline``, ``host.scoring.report``), never around them, so a
simulated month exercises the same code as a real one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.engine import Engine
from sqlmodel import Session

from host import fleet, queue_hook
from host.clock import Clock
from host.db import make_engine, upgrade
from host.errors import NotFound, ServiceError
from host.ingest.mqtt import BrokerAddress
from host.ingest.pipeline import IngestPipeline
from host.models import Device
from host.settings import Settings
from simulator.scenario import Scenario, WindowSpec

log = logging.getLogger(__name__)

ACTOR = "simulator"
SETTLE_TIMEOUT_S = 5.0
SETTLE_POLL_S = 0.001
SETTLE_QUIET_CHECKS = 2     # empty twice in a row; a batch in hand commits within a quantum


def _weekdays(days: list[int]) -> str:
    return ",".join(str(d) for d in days)


def _schedule_args(w: WindowSpec) -> dict[str, str]:
    return {"noon_duty_weekdays": _weekdays(w.noon_duty_weekdays),
            "saturday_spans": ",".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in w.saturday),
            "closed_weekdays": _weekdays(w.closed_weekdays)}


def register_hall(engine: Engine, sc: Scenario, clock: Clock, *, actor: str = ACTOR) -> list[str]:
    """Windows, pads and assignments of the scenario's hall; idempotent (a restart adds nothing).

    Assignments start at the clock's now, so set the clock to before the first simulated
    moment. Returns the device ids that were new.
    """
    from host.calendar.config import set_window_schedule

    added: list[str] = []
    with Session(engine) as s:
        for w in sc.hall.windows:
            try:
                win = fleet.get_window(s, w.number)
            except NotFound:
                win = fleet.add_window(s, number=w.number, name=w.name, clock=clock, actor=actor,
                                       department=w.department, category=w.category,
                                       reason=f"scenario {sc.hall.name}")
            dev = sc.device_of(w)
            if s.get(Device, dev) is None:
                fleet.add_device(s, device_id=dev, clock=clock, actor=actor, label=f"sim {w.number}",
                                 window_number=w.number, reason=f"scenario {sc.hall.name}")
                added.append(dev)
            args = _schedule_args(w)
            if any(args.values()):
                assert win.id is not None
                set_window_schedule(s, clock, win.id, by=actor, reason=f"scenario {sc.hall.name}", **args)
        s.commit()
    return added


def pad_accounts(sc: Scenario, issue: Callable[[list[str]], dict[str, str]]) -> dict[str, str]:
    """A fresh broker password for every pad of the hall (``issue`` = host.broker.accounts or a test's)."""
    return issue([sc.device_of(w) for w in sc.hall.windows])


def accounts_in(broker_dir: Path, prefix: str) -> Callable[[list[str]], dict[str, str]]:
    from host.broker.accounts import issue_pad_passwords

    return lambda devs: issue_pad_passwords(broker_dir, devs, prefix)


class QueueFeed:
    """The hall's queue system (叫号系统): service sessions, sent to the host in batches.

    The engine calls it from its loop; ``flush`` records them through the host's queue-system
    hook as one batch, so volume (R3) and "no prompt" (R6) see exactly what a connected queue
    system would report.
    """

    def __init__(self, engine: Engine, clock: Clock, publish: Callable[..., None]) -> None:
        self.engine = engine
        self.clock = clock
        self.publish = publish
        self.pending: list[tuple[str, str, str, int]] = []
        self.started: dict[tuple[str, str], int] = {}     # (window, ticket) -> start, for prompts
        self.sent = 0
        self.refused = 0
        self.flush_s = 0.0
        self._lock = threading.Lock()

    def __call__(self, window: str, ticket: str, action: str, at_ms: int) -> None:
        with self._lock:
            self.pending.append((window, ticket, action, at_ms))
            if action == "start":
                self.started[(window, ticket)] = at_ms

    def prompt(self, window: str, ticket: str, case: str, item: str | None) -> bool:
        """The queue system asks the host to prompt the window's pad for ``ticket`` with its case
        number and service item (issue 16), now: the session's start goes with it (the batch's
        own start later is a harmless repeat). True once the host published the command."""
        with Session(self.engine) as s:
            try:
                result = queue_hook.service_session(
                    s, window_number=window, ticket=ticket, action="start", clock=self.clock,
                    publish=self.publish, actor="queue-sim", at_ms=self.started.get((window, ticket)),
                    prompt=True, case=case, item=item)
            except ServiceError as exc:
                log.warning("queue hook refused the prompt for %s at %s: %s", ticket, window, exc)
                return False
        for w in result.warnings:
            log.warning("queue prompt %s at %s: %s", ticket, window, w)
        return result.command is not None and result.command.published_ms is not None

    def flush(self) -> None:
        """Record the pending sessions as a queue system's batch (``queue_hook.record_sessions``,
        the ``POST /api/v1/sessions`` of a real one): one transaction per BATCH_MAX sessions,
        so the host's ingest waits for the database's write lock once a flush, not once a
        session. A refused session is logged; the rest are recorded."""
        with self._lock:
            batch, self.pending = self.pending, []
        t0 = time.monotonic()
        with Session(self.engine, expire_on_commit=False) as s:
            for i in range(0, len(batch), queue_hook.BATCH_MAX):
                reports = [queue_hook.Report(*x) for x in batch[i:i + queue_hook.BATCH_MAX]]
                for done in queue_hook.record_sessions(s, reports, clock=self.clock):
                    if done.error is None:
                        self.sent += 1
                        continue
                    self.refused += 1
                    r = done.report
                    log.warning("queue hook refused %s %s at %s: %s", r.action, r.ticket, r.window,
                                done.error)
        self.flush_s += time.monotonic() - t0


class QueuePublisher:
    """The simulated queue system's own broker account (a host-instance account, ``host-queue``:
    client id = user name) for the prompt commands the hook sends; it subscribes to nothing."""

    CONNECT_WAIT_S = 10.0
    PUBLISH_WAIT_S = 5.0

    def __init__(self, host: str, port: int, user: str, password: str) -> None:
        self.connected = threading.Event()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=user)
        self._client.username_pw_set(user, password)
        self._client.on_connect = self._on_connect
        self._client.connect_async(host, port)
        self._client.loop_start()
        if not self.connected.wait(self.CONNECT_WAIT_S):
            raise RuntimeError(f"the queue system's account {user} cannot reach the broker {host}:{port}")

    def _on_connect(self, client, userdata, flags, reason_code, properties):  # type: ignore[no-untyped-def]
        if not reason_code.is_failure:       # refused (the broker reloading its accounts): paho retries
            self.connected.set()

    def __call__(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        self._client.publish(topic, payload, qos=qos, retain=retain).wait_for_publish(self.PUBLISH_WAIT_S)

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


class InProcessHost:
    """The host's ingest on the simulator's clock, in this process (no HTTP)."""

    def __init__(self, db_url: str, clock: Clock, address: BrokerAddress, data_dir: Path,
                 instance: str = "host-sim") -> None:
        upgrade(db_url)
        self.db_url = db_url
        self.engine = make_engine(db_url)
        self.clock = clock
        self.settings = Settings(data_dir=data_dir, database_url=db_url, instance=instance)  # type: ignore[call-arg]
        self.pipeline = IngestPipeline(self.settings, self.engine, clock, address)

    def start(self) -> None:
        self.pipeline.start()

    def stop(self) -> None:
        self.pipeline.stop()
        self.engine.dispose()

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        self.pipeline.publish(topic, payload, qos, retain)

    def settle(self, timeout_s: float = SETTLE_TIMEOUT_S) -> bool:
        """Wait until the ingest has taken in everything that reached it (states included).

        Acknowledged events prove the events were committed; heartbeats are not acknowledged,
        so before the shared clock moves on we also wait for the inbox to stay empty.
        """
        deadline = time.monotonic() + timeout_s
        quiet = 0
        while time.monotonic() < deadline:
            quiet = quiet + 1 if self.pipeline.inbox.depth() == 0 else 0
            if quiet >= SETTLE_QUIET_CHECKS:
                return True
            time.sleep(SETTLE_POLL_S)
        return False

"""The host runtime that ``evalpad serve`` runs: database, broker, ingest, and the HTTP API.

settings -> database (Alembic upgrade) -> broker (the configured one, or Mosquitto started
in ``data_dir/broker``) -> ingest pipeline -> uvicorn serving ``host.app.create_app``.
SIGINT or SIGTERM stops it cleanly: the ingest drains its queue, commits and acknowledges.
"""

from __future__ import annotations

import logging
import secrets
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from host.app import create_app, server_config
from host.broker.builtin import BuiltinBroker
from host.broker.mosquitto import BrokerError, Mosquitto
from host.clock import Clock, SystemClock
from host.db import make_engine, upgrade
from host.faults.flood import FloodWatch
from host.faults.sweep import Sweeper
from host.goodbad.watch import GoodBadWatch
from host.ingest.mqtt import BrokerAddress, parse_mqtt_url
from host.ingest.pipeline import IngestPipeline
from host.releases.rollout import RolloutDriver
from host.settings import Settings

log = logging.getLogger(__name__)

class HostStartError(RuntimeError):
    """The host cannot start; the message says what to do."""


@contextmanager
def broker_for(settings: Settings) -> Iterator[BrokerAddress]:
    """The configured broker, or a Mosquitto run from the project's config for as long as we run."""
    if settings.mqtt_url:
        yield parse_mqtt_url(settings.mqtt_url)
        return
    # Pads of the hall must reach it (settings.broker_bind, default all interfaces);
    # authentication and the ACL are on, docs/deploy.md shows TLS for production.
    server = Mosquitto(settings.data_dir / "broker", port=settings.broker_port, bind=settings.broker_bind,
                       prefix=settings.mqtt_prefix)
    broker = BuiltinBroker(server)   # replaces the one a crashed host left, restarts it if it dies
    password = secrets.token_urlsafe(18)   # a new host password each start; only its hash is on disk
    try:
        broker.start(settings.instance, password)   # this instance's own account (Delivery 7)
    except BrokerError as exc:
        raise HostStartError(str(exc)) from None
    try:
        yield BrokerAddress("127.0.0.1", server.port, settings.instance, password)
    finally:
        broker.stop()


def run(settings: Settings, clock: Clock | None = None, http: bool = True) -> None:
    """Run until SIGINT/SIGTERM. ``http=False`` runs the ingest alone (``python -m host.ingest``)."""
    clock = clock or SystemClock()
    log.info("database %s: upgrading the schema", settings.db_url.split("@")[-1])
    upgrade(settings.db_url)
    engine = make_engine(settings.db_url)
    stopping = threading.Event()

    def _on_signal(signum: int, _frame: object) -> None:
        log.info("%s received: stopping", signal.Signals(signum).name)
        stopping.set()

    previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with broker_for(settings) as address:
            pipeline = IngestPipeline(settings, engine, clock, address)
            pipeline.start()
            # The review sweep keeps the fault log (R7) and violation candidates (R6) current,
            # the flood watch flags a pad's flood of evaluations within a minute, and rollouts
            # (`evalpad fleet update`) need the release files served: only the full service runs
            # them, not the bare ingest (`python -m host.ingest`).
            sweeper = Sweeper(engine, clock, busy=pipeline.busy) if http else None
            floods = FloodWatch(engine, clock, settings.flood_evals_per_minute) if http else None
            # 好差评: bad-review cases and live alerts within seconds, the webhook on its own thread.
            goodbad = GoodBadWatch(engine, clock, settings.alert_webhook_url,
                                   settings.alert_webhook_secret) if http else None
            rollouts = RolloutDriver(engine, clock, pipeline.publish, settings.ota_url,
                                     settings.mqtt_prefix, settings.rollout_tick_s) if http else None
            for job in (sweeper, floods, goodbad, rollouts):
                if job is not None:
                    job.start()
            try:
                if http:
                    # uvicorn handles SIGINT/SIGTERM itself while it runs, then hands the signal
                    # back to the handlers installed above (which only set an event). No proxy
                    # headers: settings.trusted_proxies decides (host.app.server_config).
                    app = create_app(settings, engine, clock, pipeline.publish,
                                     broker_status=pipeline.connected)
                    app.state.sweeper = sweeper     # the violation queue says when it last ran
                    uvicorn.Server(server_config(app, settings)).run()
                else:
                    stopping.wait()
            finally:
                for job in (rollouts, sweeper, floods, goodbad):
                    if job is not None:
                        job.stop()
                pipeline.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        engine.dispose()


"""The ingest put together: MQTT client -> inbox -> writer, with liveness and metrics."""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine

from host.clock import Clock
from host.ingest.batch import BatchProcessor
from host.ingest.inbox import Inbox
from host.ingest.liveness import Liveness
from host.ingest.mqtt import BrokerAddress, IngestClient
from host.ingest.writer import Writer
from host.models import HostDowntime
from host.settings import Settings

log = logging.getLogger(__name__)


class IngestPipeline:
    """``start()`` records host downtime, connects, subscribes and runs the writer;
    ``stop()`` drains, commits, acks and disconnects. ``publish`` is for the API (commands)."""

    def __init__(self, settings: Settings, engine: Engine, clock: Clock, address: BrokerAddress) -> None:
        self.settings = settings
        self.inbox = Inbox()
        self.client = IngestClient(address, settings.instance, self.inbox, clock,
                                   settings.mqtt_prefix, settings.share_group)
        liveness = Liveness(settings.heartbeat_timeout_factor, settings.instance)
        processor = BatchProcessor(liveness, prefix=settings.mqtt_prefix)
        self.writer = Writer(engine, self.inbox, self.client, processor, clock, settings.mqtt_prefix)
        self.downtime: HostDowntime | None = None

    def start(self) -> None:
        # Downtime first: the retained states that arrive on subscription are evidence
        # *after* the gap, and must not be taken as the pads being on during it (R5 d).
        self.downtime = self.writer.host_started()
        self.writer.start()
        self.client.start()
        log.info("ingest running as instance %s%s", self.settings.instance,
                 f" in shared group {self.settings.share_group}" if self.settings.share_group else "")

    def stop(self) -> None:
        self.client.close_inbox()
        self.writer.stop()
        self.client.stop()
        log.info("ingest stopped")

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos, retain)

    def busy(self) -> bool:
        """Messages wait for the writer: background work gives way (host.faults.sweep.GiveWay)."""
        return self.inbox.depth() > 0

    def connected(self) -> bool:
        return self.client.connected.is_set()

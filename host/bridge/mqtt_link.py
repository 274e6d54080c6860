"""The bridge's MQTT side: one broker session in the name of one pad.

Client id and username are the device id and the will is the pad's will, exactly what a
wireless pad sets (protocol.md "Transport", "State"). paho's network thread only enqueues
(callbacks enqueue and return); the bridge's loop drains the queues.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt

from protocol import messages, spec, topics

log = logging.getLogger(__name__)

KEEPALIVE_S = 30            # the broker publishes the will ~1.5 x this after a silent death
RECONNECT_MIN_S = 1         # first retry after the broker dropped us
RECONNECT_MAX_S = 30        # cap of paho's exponential backoff: a restarted broker is found soon
# Lines held while the broker is away. The pad keeps every event on flash and resends
# until acknowledged, so this only saves a resend round; a week of a busy pad fits.
MAX_PENDING = 10_000
DEFAULT_PORT = 1883


class MqttUrlError(ValueError):
    """An MQTT URL that cannot be used; the message says what to write instead."""


@dataclass(frozen=True)
class MqttTarget:
    host: str
    port: int
    username: str | None
    password: str | None


def parse_mqtt_url(url: str) -> MqttTarget:
    """``mqtt://user:password@host:port`` -> MqttTarget (TLS ``mqtts://`` is not supported here)."""
    parts = urlsplit(url)
    if parts.scheme != "mqtt" or not parts.hostname:
        raise MqttUrlError(f"MQTT URL {url!r} must look like mqtt://user:password@host:1883")
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:
        raise MqttUrlError(f"MQTT URL {url!r} has a bad port; write e.g. mqtt://host:1883")
    return MqttTarget(parts.hostname, port,
                      unquote(parts.username) if parts.username else None,
                      unquote(parts.password) if parts.password else None)


class MqttLink:
    """A broker session speaking for pad ``dev``; ``inbound`` yields ``(kind, payload)`` for the pad."""

    def __init__(self, dev: str, target: MqttTarget, prefix: str = spec.PREFIX,
                 max_pending: int = MAX_PENDING) -> None:
        self.dev = topics.check_device_id(dev)
        self.target = target
        self.prefix = prefix
        self.inbound: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.connected = threading.Event()
        self.dropped = 0                    # lines lost because MAX_PENDING was full (counted, never silent)
        self.published = 0
        self._pending: deque[tuple[str, bytes]] = deque()
        self._max_pending = max_pending
        self._lock = threading.Lock()
        self._client: mqtt.Client | None = None

    # -- life cycle ---------------------------------------------------------------------

    def open(self) -> None:
        """Start connecting (asynchronously: a broker that is down now is retried with backoff)."""
        if self._client is not None:
            return
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.dev,
                        protocol=mqtt.MQTTv311, clean_session=True)
        c.username_pw_set(self.target.username or self.dev, self.target.password)
        c.will_set(self._topic(spec.STATE), messages.encode(messages.will(self.dev)),
                   qos=spec.QOS, retain=True)
        c.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        c.connect_async(self.target.host, self.target.port, keepalive=KEEPALIVE_S)
        c.loop_start()
        self._client = c

    def close(self, announce_offline: bool) -> None:
        """End the session. ``announce_offline``: publish the pad's will payload first.

        A clean MQTT disconnect suppresses the will, so when the cable is pulled the bridge
        publishes the very same payload itself: the host sees what a dead wireless pad causes.
        """
        c, self._client = self._client, None
        if c is None:
            return
        if announce_offline and self.connected.is_set():
            info = c.publish(self._topic(spec.STATE), messages.encode(messages.will(self.dev)),
                             qos=spec.QOS, retain=True)
            try:
                info.wait_for_publish(timeout=2.0)
            except (RuntimeError, ValueError):
                log.warning("%s: could not announce offline state before closing", self.dev)
        c.disconnect()
        c.loop_stop()
        self.connected.clear()

    # -- pad -> broker ------------------------------------------------------------------

    def send(self, kind: str, payload: bytes) -> None:
        """Relay a pad's message; held in order while the broker is away."""
        with self._lock:
            if self._pending or not self.connected.is_set():
                self._hold(kind, payload)
                return
        self._publish(kind, payload)

    def flush(self) -> int:
        """Publish what was held, in order, if connected. Returns how many went out."""
        sent = 0
        while self.connected.is_set() and self._client is not None:
            with self._lock:
                if not self._pending:
                    break
                kind, payload = self._pending.popleft()
            self._publish(kind, payload)
            sent += 1
        return sent

    @property
    def pending(self) -> int:
        return len(self._pending)

    def _hold(self, kind: str, payload: bytes) -> None:
        if len(self._pending) >= self._max_pending:
            self._pending.popleft()
            self.dropped += 1
            log.warning("%s: broker away and %d lines held; dropped the oldest (the pad resends "
                        "unacknowledged events)", self.dev, self._max_pending)
        self._pending.append((kind, payload))

    def _publish(self, kind: str, payload: bytes) -> None:
        assert self._client is not None
        # paho keeps QoS 1 messages in flight across its own reconnects and resends them.
        self._client.publish(self._topic(kind), payload, qos=spec.QOS, retain=kind in spec.RETAINED)
        self.published += 1

    def _topic(self, kind: str) -> str:
        return topics.topic(self.dev, kind, self.prefix)

    # -- paho callbacks (network thread): enqueue and return ----------------------------

    def _on_connect(self, client: mqtt.Client, _u: object, _f: object, reason: object,
                    _p: object = None) -> None:
        if getattr(reason, "is_failure", False):
            log.warning("%s: broker refused the connection: %s", self.dev, reason)
            return
        client.subscribe([(self._topic(spec.ACK), spec.QOS), (self._topic(spec.CMD), spec.QOS)])
        self.connected.set()
        log.info("%s: connected to %s:%s", self.dev, self.target.host, self.target.port)

    def _on_disconnect(self, _c: mqtt.Client, _u: object, _f: object, reason: object,
                       _p: object = None) -> None:
        self.connected.clear()
        log.info("%s: broker connection lost (%s); retrying", self.dev, reason)

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        try:
            _, kind = topics.parse_topic(msg.topic, self.prefix)
        except ValueError:
            return
        self.inbound.put((kind, bytes(msg.payload)))

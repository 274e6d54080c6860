"""The ingest's MQTT client: subscribe, enqueue, and acknowledge only what is committed.

paho acknowledges a QoS 1 message (PUBACK) as soon as ``on_message`` returns, so a message
enqueued but not yet committed would be lost if the host died (``kill -9``) in between: the
broker would consider it delivered. Hence ``manual_ack=True``: the writer calls ``ack`` after
the commit, and a persistent session (``clean_session=False``, stable client id per instance)
makes the broker redeliver every message that was not acknowledged when we come back.
The client id is the instance's name, which is also its broker account: the broker enforces
client id = user name (protocol.md Delivery 7), so no pad can take over this session.

An instance of a group (shared subscription, several instances) uses a clean session instead:
the broker hands a persistent session its share of the events even while the instance is
dead (Mosquitto, EMQX), so a third of a hall's events would wait, for as long as it stays
down, for the pads' resends, each with the same odds of going to it again (issue 15,
bench/scaleout_bench.py). With a clean session its share goes to the survivors as soon as
its connection drops; what it held unacknowledged the pads resend (protocol.md Delivery 2).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from host.clock import Clock
from host.ingest.inbox import Inbox, Received
from protocol import spec, topics

log = logging.getLogger(__name__)

KEEPALIVE_S = 30                 # the broker notices a dead host within 1.5 x this
RECONNECT_MIN_S, RECONNECT_MAX_S = 1, 10   # retry fast: pads keep buffering while we are away
# Our own outgoing QoS 1 messages (acks, commands) in flight at once. paho's default of 20
# would make ack publishing the bottleneck of a busy hall; the rest wait in paho's queue.
OUT_INFLIGHT = 1000
CONNECT_WAIT_S = 10.0


class MqttUrlError(ValueError):
    pass


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False


def parse_mqtt_url(url: str) -> BrokerAddress:
    """``mqtt://user:password@host:1883`` (or ``mqtts://`` for TLS, default port 8883)."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise MqttUrlError(f"EVALPAD_MQTT_URL {url!r} must look like mqtt://user:password@host:1883 "
                           "(or mqtts://... for TLS)")
    tls = parts.scheme == "mqtts"
    return BrokerAddress(host=parts.hostname, port=parts.port or (8883 if tls else 1883),
                         username=unquote(parts.username) if parts.username else None,
                         password=unquote(parts.password) if parts.password else None, tls=tls)


class IngestClient:
    """One paho client: events (shared subscription when ``group``), state (plain), publishes."""

    def __init__(self, address: BrokerAddress, instance: str, inbox: Inbox, clock: Clock,
                 prefix: str = spec.PREFIX, group: str = "") -> None:
        self.address = address
        self.inbox = inbox
        self.clock = clock
        self.prefix = prefix
        # Events may be split among host instances. State must be a plain subscription:
        # brokers do not deliver retained messages on shared subscriptions, and after a
        # restart the retained state is what liveness is rebuilt from (R5).
        self.subscriptions = [(topics.subscription(spec.EVENT, prefix, group), spec.QOS),
                              (topics.subscription(spec.STATE, prefix), spec.QOS)]
        self.generation = 0
        self.connected = threading.Event()
        self._closing = threading.Event()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=address.username or instance,
                                   clean_session=bool(group), protocol=mqtt.MQTTv311, manual_ack=True)
        if address.username:
            self._client.username_pw_set(address.username, address.password)
        if address.tls:
            self._client.tls_set()
        self._client.max_inflight_messages_set(OUT_INFLIGHT)
        self._client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message

    # -- paho callbacks (network thread): enqueue and return -----------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties):  # type: ignore[no-untyped-def]
        if reason_code.is_failure:
            log.error("broker %s:%s refused the host: %s (check the host account and ACL)",
                      self.address.host, self.address.port, reason_code)
            return
        self.generation += 1
        log.info("connected to %s:%s (session present: %s); subscribing %s", self.address.host,
                 self.address.port, flags.session_present, [s for s, _ in self.subscriptions])
        client.subscribe(self.subscriptions)
        self.connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):  # type: ignore[no-untyped-def]
        self.connected.clear()
        log.warning("disconnected from broker (%s); paho reconnects", reason_code)

    def _on_message(self, client, userdata, message):  # type: ignore[no-untyped-def]
        if self._closing.is_set():
            return                     # not acknowledged: the broker redelivers it next time
        self.inbox.put(Received(topic=message.topic, payload=bytes(message.payload),
                                received_ms=self.clock.now_ms(), mid=message.mid, qos=message.qos,
                                retained=bool(message.retain), generation=self.generation))

    # -- used by the writer and the API --------------------------------------------------

    def start(self, wait_s: float = CONNECT_WAIT_S) -> None:
        self._client.connect_async(self.address.host, self.address.port, KEEPALIVE_S)
        self._client.loop_start()
        if not self.connected.wait(wait_s):
            log.warning("not connected to %s:%s after %.0fs; still trying", self.address.host,
                        self.address.port, wait_s)

    def ack(self, item: Received) -> None:
        """PUBACK one message, after its batch is committed.

        A message from an earlier connection is not acknowledged: the broker has already
        redelivered it on the new one (same session), and a PUBACK with a stale packet id
        could acknowledge a different message that reused the id.
        """
        if item.qos > 0 and item.generation == self.generation:
            self._client.ack(item.mid, item.qos)

    def publish(self, topic: str, payload: bytes, qos: int = spec.QOS, retain: bool = False) -> None:
        """Publish (thread-safe). While disconnected paho keeps QoS 1 messages and sends them later."""
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            log.error("publish to %s failed: %s", topic, mqtt.error_string(info.rc))

    def close_inbox(self) -> None:
        """Stop taking messages (a shutdown drains the inbox; what arrives later stays with the broker)."""
        self._closing.set()

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

"""A small paho-mqtt 2 client for infrastructure tests: connect, subscribe, collect.

Callbacks only append to a list and set events (they run on paho's network thread);
the test thread waits on those with timeouts, never sleeps blindly.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

WAIT_S = 10.0        # generous for a loaded 2-core CI machine; waits end as soon as the event happens


class Client:
    """One MQTT 3.1.1 connection (what a pad's umqtt.simple speaks)."""

    def __init__(self, port: int, client_id: str, user: str | None = None, password: str | None = None,
                 clean_session: bool = True, host: str = "127.0.0.1") -> None:
        self.port, self.host = port, host
        self.mqtt = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean_session,
                                protocol=mqtt.MQTTv311)
        self.mqtt.max_inflight_messages_set(100)
        if user is not None:
            self.mqtt.username_pw_set(user, password)
        self.received: list[mqtt.MQTTMessage] = []
        self.connack: Any = None
        self.granted: list[Any] = []
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        self._lock = threading.Lock()
        self.mqtt.on_connect = self._on_connect
        self.mqtt.on_message = self._on_message
        self.mqtt.on_subscribe = self._on_subscribe

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        self.connack = reason_code
        self._connected.set()

    def _on_message(self, client: Any, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.received.append(msg)

    def _on_subscribe(self, client: Any, userdata: Any, mid: int, reason_codes: Any, properties: Any) -> None:
        self.granted = list(reason_codes)
        self._subscribed.set()

    def connect(self) -> Any:
        """Connect and wait for the CONNACK; returns its reason code (check ``.is_failure``)."""
        self._connected.clear()
        self.mqtt.connect(self.host, self.port, keepalive=30)
        self.mqtt.loop_start()
        assert self._connected.wait(WAIT_S), "no CONNACK from the broker"
        return self.connack

    def subscribe(self, *topics: str, qos: int = 1) -> list[Any]:
        self._subscribed.clear()
        self.mqtt.subscribe([(t, qos) for t in topics])
        assert self._subscribed.wait(WAIT_S), "no SUBACK from the broker"
        return self.granted

    def publish(self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False) -> None:
        """Publish and wait until the broker has acknowledged it (PUBACK for QoS 1)."""
        info = self.mqtt.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(WAIT_S)
        assert info.is_published(), f"broker did not acknowledge {topic}"

    def messages(self) -> list[tuple[str, bytes]]:
        with self._lock:
            return [(m.topic, bytes(m.payload)) for m in self.received]

    def wait_for(self, count: int, timeout: float = WAIT_S) -> list[tuple[str, bytes]]:
        """Wait until ``count`` messages arrived (or the timeout); return what arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    break
            time.sleep(0.01)
        return self.messages()

    def close(self) -> None:
        self.mqtt.disconnect()
        self.mqtt.loop_stop()

"""Simulated pads for the ingest tests: plain paho clients speaking contract v1 (protocol.messages)."""

from __future__ import annotations

import threading
import time
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from protocol import acks, messages, spec, topics

T0 = 1_795_600_000_000          # 2026-11-26 ~08:26 Asia/Shanghai: a working morning


class SimPad:
    """A pad with its own broker account: publishes events/state, collects ack ranges.

    ``resend_unacked`` does what the firmware does after a reconnect (protocol.md Delivery 2).
    """

    def __init__(self, broker: Any, dev: str, password: str | None = None, boot: int = 1,
                 will: bool = True, resend_on_reconnect: bool = True) -> None:
        self.dev = dev
        self.resend_on_reconnect = resend_on_reconnect
        self.connects = 0
        self.boot = boot
        self.password = password or broker.add_pad(dev)
        self.acked: list[list[int]] = []
        self.sent: dict[int, bytes] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self.connected = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=dev, clean_session=True,
                                  protocol=mqtt.MQTTv311)
        self.client.username_pw_set(dev, self.password)
        self.client.max_inflight_messages_set(100)
        if will:
            self.client.will_set(topics.topic(dev, spec.STATE), messages.encode(messages.will(dev)),
                                 qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = lambda *a: self.connected.clear()
        self.client.reconnect_delay_set(0.1, 0.5)  # type: ignore[arg-type]
        self.client.connect(broker.host, broker.port, keepalive=60)
        self.client.loop_start()
        if not self.connected.wait(10):
            raise RuntimeError(f"pad {dev} could not connect")

    def _on_connect(self, client, userdata, flags, rc, props):  # type: ignore[no-untyped-def]
        if not rc.is_failure:
            client.subscribe(topics.topic(self.dev, spec.ACK), qos=1)
            self.connects += 1
            self.connected.set()
            if self.connects > 1 and self.resend_on_reconnect:
                # The firmware republishes every unacknowledged event after each reconnect.
                threading.Thread(target=self.resend_unacked, daemon=True).start()

    def _on_message(self, client, userdata, msg):  # type: ignore[no-untyped-def]
        ack = messages.parse_ack(msg.payload)
        with self._changed:
            self.acked = acks.merge(self.acked + ack["ack"])
            self._changed.notify_all()

    def event(self, seq: int, type: str = "eval", up: int | None = None, ts: Any = "auto",
              **fields: Any) -> bytes:
        if type == "eval":
            fields = {"rating": "satisfied", "svc": None, "prompted": True, **fields}
        up = up if up is not None else 1000 * seq
        ts = T0 + up if ts == "auto" else ts
        return messages.encode(messages.event(self.dev, seq, self.boot, up, ts, type, **fields))

    def send(self, seq: int, payload: bytes | None = None, **kw: Any) -> None:
        data = payload if payload is not None else self.event(seq, **kw)
        self.sent[seq] = data
        self.client.publish(topics.topic(self.dev, spec.EVENT), data, qos=1)

    def send_raw(self, payload: bytes, kind: str = spec.EVENT, topic: str | None = None) -> None:
        self.client.publish(topic or topics.topic(self.dev, kind), payload, qos=1)

    def state(self, mode: str = "serving", retain: bool = True, **fields: Any) -> None:
        self.client.publish(topics.topic(self.dev, spec.STATE),
                            messages.encode(messages.state(self.dev, mode, **fields)), qos=1, retain=retain)

    def power_off(self) -> None:
        info = self.client.publish(topics.topic(self.dev, spec.STATE),
                                   messages.encode(messages.power_off(self.dev)), qos=1, retain=True)
        info.wait_for_publish(5)
        self.client.disconnect()
        self.client.loop_stop()

    def unacked(self) -> list[int]:
        with self._lock:
            return acks.unacked(self.sent, self.acked)

    def resend_unacked(self) -> int:
        todo = self.unacked()
        for seq in todo:
            self.client.publish(topics.topic(self.dev, spec.EVENT), self.sent[seq], qos=1)
        return len(todo)

    def wait_acked(self, seqs: Any, timeout: float = 20.0, resend_every: float | None = None) -> bool:
        want = set(seqs)
        deadline = time.monotonic() + timeout
        next_resend = time.monotonic() + resend_every if resend_every else None
        with self._changed:
            while True:
                if all(acks.covers(self.acked, s) for s in want):
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(min(left, 0.1))
                if next_resend is not None and time.monotonic() >= next_resend:
                    self._lock.release()
                    try:
                        self.resend_unacked()
                    finally:
                        self._lock.acquire()
                    next_resend = time.monotonic() + resend_every  # type: ignore[operator]

    def kill(self) -> None:
        """Drop the connection without DISCONNECT: the broker publishes the will."""
        self.client.loop_stop()
        sock = self.client.socket()
        if sock is not None:
            sock.close()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

"""The alerts' optional webhook: each new alert POSTed as JSON to a configured URL, signed with
HMAC-SHA256, retried with backoff on a background thread; never in the ingest's way.

``Webhook.submit`` only puts the alert on a bounded queue (a full queue counts what it drops and
the alert stays on the pages, ``sent_ms`` unset). One daemon thread sends; a URL that is down
costs that thread its retries and nothing else. The signature header is
``X-Evalpad-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>`` and
``X-Evalpad-Timestamp`` (Unix ms): a receiver recomputes it and refuses old timestamps.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Evalpad-Signature"
TIMESTAMP_HEADER = "X-Evalpad-Timestamp"
# Retries: 1, 2, 4, 8, 16, 32 s apart (about a minute in all), then given up and shown as unsent.
BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
TIMEOUT_S = 5.0  # one attempt; a hanging receiver costs the sender thread this, no more
QUEUE_MAX = 1000  # alerts waiting to be sent; more are dropped (counted) and stay on the pages


def sign(secret: str, timestamp_ms: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp_ms}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


@dataclass(frozen=True, slots=True)
class Outcome:
    alert_id: int
    ok: bool
    attempts: int
    error: str | None


class Webhook:
    """Sends alerts (dicts with an ``id``) on its own thread; ``done`` hears each outcome."""

    def __init__(
        self,
        url: str,
        secret: str,
        now_ms: Callable[[], int],
        done: Callable[[Outcome], None] | None = None,
        backoff_s: tuple[float, ...] = BACKOFF_S,
        timeout_s: float = TIMEOUT_S,
    ) -> None:
        self.url = url
        self.secret = secret
        self.now_ms = now_ms
        self.done = done
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self.dropped = 0
        self.sent = 0
        self.failed = 0
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(QUEUE_MAX)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def submit(self, alert: dict[str, Any]) -> bool:
        """Queue one alert; never blocks. False (counted in ``dropped``) when the queue is full."""
        try:
            self._queue.put_nowait(alert)
            return True
        except queue.Full:
            self.dropped += 1
            log.warning(
                "alert webhook queue full: alert %s not sent (%s dropped so far)",
                alert.get("id"),
                self.dropped,
            )
            return False

    def _post(self, body: bytes) -> None:
        ts = self.now_ms()
        req = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                TIMESTAMP_HEADER: str(ts),
                SIGNATURE_HEADER: sign(self.secret, ts, body),
            },
        )
        with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
            if not 200 <= resp.status < 300:
                raise urllib.error.HTTPError(self.url, resp.status, "not 2xx", resp.headers, None)

    def deliver(self, alert: dict[str, Any]) -> Outcome:
        """Send one alert, retrying with backoff; stops early when the webhook is stopped."""
        body = json.dumps(alert, ensure_ascii=False, sort_keys=True).encode()
        error: str | None = None
        attempts = 0
        for delay in (0.0, *self.backoff_s):
            if delay and self._stop.wait(delay):
                break
            attempts += 1
            try:
                self._post(body)
                self.sent += 1
                return Outcome(int(alert.get("id", 0)), True, attempts, None)
            except (OSError, urllib.error.URLError, ValueError) as exc:
                error = f"{type(exc).__name__}: {exc}"
                log.info("alert %s: webhook attempt %s failed (%s)", alert.get("id"), attempts, error)
        self.failed += 1
        log.warning("alert %s: webhook gave up after %s attempts (%s)", alert.get("id"), attempts, error)
        return Outcome(int(alert.get("id", 0)), False, attempts, error)

    def _loop(self) -> None:
        while not self._stop.is_set():
            item = self._queue.get()
            if item is None:
                return
            outcome = self.deliver(item)
            if self.done is not None:
                try:
                    self.done(outcome)
                except Exception:  # recording the outcome must not end the sender
                    log.exception("alert %s: webhook outcome not recorded", outcome.alert_id)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="alert-webhook", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            pass
        if self._thread is not None:
            self._thread.join(timeout_s)

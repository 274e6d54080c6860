"""The bounded hand-over between the MQTT network thread and the writer thread."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from dataclasses import dataclass

# Bound of the hand-over. The broker lets at most max_inflight_messages (1000 in evalpad's
# Mosquitto config) unacknowledged messages reach us, so this is never the real limit; it
# only makes a misconfigured broker block the network thread (back-pressure to the broker,
# which queues) instead of growing memory without end. Nothing is ever dropped here.
INBOX_MAX = 10_000


@dataclass(frozen=True, slots=True)
class Received:
    """One MQTT message as it arrived; ``generation`` = which connection it came on."""

    topic: str
    payload: bytes
    received_ms: int
    mid: int
    qos: int
    retained: bool
    generation: int


class Inbox:
    def __init__(self, maxsize: int = INBOX_MAX) -> None:
        self._q: queue.Queue[Received] = queue.Queue(maxsize)

    def put(self, item: Received) -> None:
        self._q.put(item)          # blocks when full: back-pressure, never a drop

    def depth(self) -> int:
        return self._q.qsize()

    def take(self, max_items: int, first_wait_s: float, gather_s: float, linger_s: float | None = None,
             urgent: Callable[[Received], bool] | None = None) -> list[Received]:
        """Up to ``max_items``: wait ``first_wait_s`` for the first, then gather for ``gather_s`` more.

        With ``linger_s``: while no item is ``urgent``, gather for ``linger_s`` instead (state
        messages wait for company, so one commit and one wake-up serve many; issue 15); the
        first urgent item shortens the wait back to ``gather_s`` from its arrival.
        """
        try:
            first = self._q.get(timeout=first_wait_s)
        except queue.Empty:
            return []
        batch = [first]
        start = time.monotonic()
        hurry = linger_s is None or urgent is None or urgent(first)
        deadline = start + (gather_s if hurry else linger_s)  # type: ignore[operator]
        while len(batch) < max_items:
            try:
                item = self._q.get_nowait()
            except queue.Empty:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    item = self._q.get(timeout=left)
                except queue.Empty:
                    break
            batch.append(item)
            if not hurry and urgent(item):  # type: ignore[misc]
                hurry = True
                deadline = min(deadline, time.monotonic() + gather_s)
        return batch

"""The bounded hand-over between the MQTT network thread and the writer thread."""

from __future__ import annotations

import queue
import time
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

    def take(self, max_items: int, first_wait_s: float, gather_s: float) -> list[Received]:
        """Up to ``max_items``: wait ``first_wait_s`` for the first, then gather for ``gather_s`` more."""
        try:
            first = self._q.get(timeout=first_wait_s)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + gather_s
        while len(batch) < max_items:
            try:
                batch.append(self._q.get_nowait())
                continue
            except queue.Empty:
                pass
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                batch.append(self._q.get(timeout=left))
            except queue.Empty:
                break
        return batch

"""One background job run every few seconds beside the ingest: the review sweep, the flood
and 好差评 watches, the rollout driver.

A failed run is logged and the next one retries: a bad look must never end the job (the
host would go on without it and nobody would notice).
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)


class Periodic:
    """Calls ``run_once`` every ``interval_s`` seconds on a daemon thread from ``start`` to
    ``stop``; the first call right at the start unless ``wait_first``."""

    name = "periodic"          # the thread's name, and the job's in the log
    wait_first = False

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> object:
        raise NotImplementedError

    def _loop(self) -> None:
        if self.wait_first and self._stop.wait(self.interval_s):
            return
        while True:
            try:
                self.run_once()
            except Exception:
                log.exception("%s failed; retrying in %.0f s", self.name, self.interval_s)
            if self._stop.wait(self.interval_s):
                return

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

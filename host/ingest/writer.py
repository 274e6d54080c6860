"""The one writer: batches from the inbox, one commit each, then acks, then PUBACKs.

The order is what makes delivery exactly-once (protocol.md "Delivery" 3-4): a pad's event
is acknowledged to the pad only once committed, and the broker's copy is released
(PUBACK) only after that, so a crash anywhere means redelivery, and redelivery of a
stored event is a duplicate that is acknowledged again and otherwise ignored.

Poison: a batch that fails for any reason but the database being away is taken apart and
each message committed alone, so one bad message never holds back another; a message that
still fails alone is kept as ``host_error`` with its raw bytes (acknowledged, named in
``rej``) and released, so it cannot fail again after a restart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col

from host import metrics
from host.clock import Clock
from host.ingest import store
from host.ingest.acking import ack_payloads
from host.ingest.batch import BatchProcessor, Outcome
from host.ingest.inbox import Inbox, Received
from host.ingest.liveness import HOST_BEAT_MS, ON, RESYNC_S, Liveness
from host.models import DeviceStatus, HostDowntime
from protocol import messages, spec, topics
from protocol.errors import HOST_ERROR

log = logging.getLogger(__name__)

# Most messages in one commit. A commit costs about the same for 1 or 500 rows, so bigger
# is faster; the broker lets max_inflight_messages (1000) unacknowledged messages reach us,
# so a burst fills two batches; 500 rows also keep one statement's parameters modest.
BATCH_MAX = 500
# After the first message, wait this long for more to share the commit: short against
# the pads' ack wait, long enough to gather a burst.
BATCH_GATHER_S = 0.005
# A batch of state messages only (heartbeats) waits this long for company: one wake-up and
# one pass serve many, which more than halves their cost at 500 a second (issue 15,
# bench/heartbeat_bench.py); an event in the batch cuts the wait back to BATCH_GATHER_S.
# It is time on the host's clock, the one liveness is judged by (``_linger_s``).
STATE_LINGER_S = 0.05
# On a fast clock the linger shrinks with it, but not below this: a commit of a few heartbeats
# costs nearly what one of many does, and 2 ms is seconds of the pads' time even at 5,000x.
MIN_LINGER_S = 0.002
# How often the pace of the host's clock against real time is measured (``_linger_s``).
PACE_EVERY_S = 1.0
# Wake at least this often with nothing to do: the liveness sweep and the host beat.
TICK_S = 0.2
# Liveness is kept precise to the second (issue 4), so silence is checked every second.
SWEEP_EVERY_MS = 1_000
# Database unreachable or locked: retry the same batch (nothing is acked meanwhile),
# backing off to this at most.
RETRY_MAX_S = 5.0


class Acker(Protocol):
    def ack(self, item: Received) -> None: ...

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None: ...


class Writer:
    def __init__(self, engine: Engine, inbox: Inbox, link: Acker, processor: BatchProcessor,
                 clock: Clock, prefix: str = spec.PREFIX) -> None:
        self.engine = engine
        self.inbox = inbox
        self.link = link
        self.processor = processor
        self.liveness: Liveness = processor.liveness
        self.clock = clock
        self.prefix = prefix
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_sweep = self._last_beat = -(1 << 62)
        self._last_load = float("-inf")      # real time (RESYNC_S)
        self._pace_at = (time.monotonic(), clock.now_ms())
        self._linger = STATE_LINGER_S
        self.batches = 0
        self.on_batch: Callable[[Outcome], None] | None = None   # for tests and the bench

    # -- life cycle ------------------------------------------------------------------------

    def host_started(self) -> HostDowntime | None:
        """Before subscribing: record downtime since the last beat and mark pads unknown (R5 d)."""
        now = self.clock.now_ms()
        with Session(self.engine) as session:
            downtime = self.liveness.host_started(session, now)
            session.commit()
        with Session(self.engine) as session:
            self.liveness.load(session)     # state rebuilt from the tables (issue 15)
        self._last_beat = now
        self._last_load = time.monotonic()
        return downtime

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="evalpad-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Drain what is queued, commit, ack, then stop (a clean SIGTERM loses nothing either way)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                log.error("writer did not finish within %.0fs; unacknowledged messages will be "
                          "redelivered at the next start", timeout_s)
        try:                            # the last beat: downtime starts here (R5 d)
            with Session(self.engine) as session:
                self.liveness.flush(session)
                self.liveness.beat(session, self.clock.now_ms())
                session.commit()
            self.liveness.committed()
        except OperationalError as exc:
            log.error("could not record the host's last beat (%s); the next start counts the "
                      "downtime from the beat before", exc.orig)

    def _run(self) -> None:
        while not (self._stop.is_set() and self.inbox.depth() == 0):
            items = self.inbox.take(BATCH_MAX, TICK_S, BATCH_GATHER_S, self._linger_s(), self._urgent)
            try:
                self.step(items)
            except Exception:           # never let the writer die: log, and go on
                log.exception("writer step failed; the batch stays unacknowledged and is redelivered")
                time.sleep(1)

    def _linger_s(self) -> float:
        """STATE_LINGER_S of the host's clock, in real seconds: the same on the wall clock, far
        less on a simulated clock running thousands of times faster, where 50 real ms would be
        minutes of the pads' time and a heartbeat would reach liveness late against its timeout,
        though never below MIN_LINGER_S (a frozen clock, as in tests, lingers the real 50 ms)."""
        wall, now = time.monotonic(), self.clock.now_ms()
        wall0, now0 = self._pace_at
        if wall - wall0 >= PACE_EVERY_S:
            ran_s = (now - now0) / 1000
            self._linger = STATE_LINGER_S if ran_s <= 2 * (wall - wall0) else \
                max(STATE_LINGER_S * (wall - wall0) / ran_s, MIN_LINGER_S)
            self._pace_at = (wall, now)
        return self._linger

    def _urgent(self, item: Received) -> bool:
        """Anything but a state message: a pad waits for its ack."""
        return not item.topic.endswith("/" + spec.STATE)

    # -- one step --------------------------------------------------------------------------

    def step(self, items: list[Received]) -> Outcome | None:
        now = self.clock.now_ms()
        sweep = now - self._last_sweep >= SWEEP_EVERY_MS
        # The host's beat, or an idle tick with last-seen times not yet written: a busy host
        # writes them with its beat only, a quiet one at once (what it heard is in the database
        # within a tick, which the simulator's checkpoints wait for on a held clock).
        beat = now - self._last_beat >= HOST_BEAT_MS or (not items and self.liveness.unflushed)
        metrics.WRITE_QUEUE_DEPTH.set(self.inbox.depth())
        wall = time.monotonic()
        if wall - self._last_load >= RESYNC_S and self.liveness.memory is not None:
            with Session(self.engine) as session:
                self.liveness.load(session)  # what other host instances wrote
            self._last_load = wall
        if not items and not sweep and not beat:
            return None
        try:
            out = self._commit(items, now, sweep, beat)
        except OperationalError:
            raise                       # only while stopping with the database away
        except Exception as exc:
            log.warning("batch of %s failed (%r); committing its messages one by one", len(items), exc)
            for item in items:
                self._alone(item, now)
            return None
        if sweep:
            self._last_sweep = now
        if beat:
            self._last_beat = now
        self._acknowledge(items, out)
        return out

    def _alone(self, item: Received, now: int) -> None:
        """One message of a failed batch in its own commit (no sweep or beat: those are not
        the message's, and retry on the next step); kept as host_error if it fails alone."""
        try:
            out = self._commit([item], now, False, False)
        except OperationalError:
            raise
        except Exception as exc:
            self._keep_failed(item, exc)
            return
        self._acknowledge([item], out)

    def _commit(self, items: list[Received], now: int, sweep: bool, beat: bool) -> Outcome:
        delay = 0.1
        while True:
            try:
                t0 = time.perf_counter()
                with Session(self.engine) as session:
                    out = self.processor.process(session, items) if items else Outcome()
                    if sweep:
                        self.liveness.sweep(session, now)
                    if beat:
                        # Last-seen times and telemetry kept in memory since the last beat: one
                        # statement for all pads, so a crash loses no more than a beat (issue 15).
                        self.liveness.flush(session)
                        self.liveness.beat(session, now)
                    session.commit()
                    if sweep:
                        online = self.liveness.online()
                        if online is None:
                            online = session.scalar(select(func.count()).select_from(DeviceStatus).where(
                                col(DeviceStatus.power) == ON)) or 0
                        metrics.PADS_ONLINE.set(online)
                self.processor.anchors.committed()
                self.liveness.committed()
                metrics.BATCH_COMMIT.observe(time.perf_counter() - t0)
                return out
            except OperationalError as exc:
                self.processor.anchors.rolled_back()
                self.liveness.rolled_back()
                if self._stop.is_set() and delay >= RETRY_MAX_S:
                    raise
                log.error("database unavailable (%s); retrying the batch of %s in %.1fs (nothing is "
                          "acknowledged meanwhile)", exc.orig, len(items), delay)
                time.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
            except Exception:
                self.processor.anchors.rolled_back()
                self.liveness.rolled_back()
                raise

    def _acknowledge(self, items: list[Received], out: Outcome) -> None:
        for dev, seqs in out.acks.items():
            for payload in ack_payloads(seqs, out.rej.get(dev)):
                self.link.publish(topics.topic(dev, spec.ACK, self.prefix), payload)
        done = self.clock.now_ms()
        placed = set(out.placed)
        for i, item in enumerate(items):
            self.link.ack(item)
            if i in placed:
                metrics.ACK_LATENCY.observe(max(0, done - item.received_ms) / 1000)
        if out.stored:
            metrics.EVENTS_INGESTED.labels("stored").inc(out.stored)
        if out.duplicates:
            metrics.EVENTS_INGESTED.labels("duplicate").inc(out.duplicates)
        if out.conflicts:
            metrics.EVENTS_INGESTED.labels("conflict").inc(out.conflicts)
        for code, n in out.rejected.items():
            metrics.MESSAGES_REJECTED.labels(code).inc(n)
        self.batches += 1
        if self.on_batch is not None:
            self.on_batch(out)

    def _keep_failed(self, item: Received, exc: Exception) -> None:
        """A message that makes our code fail alone is kept as host_error with its raw bytes,
        acknowledged when its seq can be read (named in rej), then released (PUBACK): it is
        replayable once the bug is fixed, and cannot fail again after a restart."""
        log.error("could not process %s: %r; kept as %s", item.topic, exc, HOST_ERROR, exc_info=exc)
        dev, seq = None, None
        try:
            dev, kind = topics.parse_topic(item.topic, self.prefix)
            seq = messages.readable_seq(item.payload) if kind == spec.EVENT else None
        except ValueError:
            pass
        row = store.rejection(item.topic, item.payload, item.received_ms, HOST_ERROR,
                              f"the host failed on this message: {exc!r}. Report it with this row; "
                              "replay it once the host is fixed.", dev, seq)  # type: ignore[arg-type]
        try:
            with Session(self.engine) as session:
                store.keep_rejected(session, [row])
                session.commit()
        except OperationalError:
            raise
        except Exception:
            # Cannot even be recorded: not acknowledged, not released; the broker keeps it.
            log.exception("could not keep %s as %s either; left with the broker", item.topic, HOST_ERROR)
            return
        out = Outcome()
        if dev is not None and seq is not None:
            out.ack(0, dev, seq, HOST_ERROR)  # type: ignore[arg-type]
        out.rejected[HOST_ERROR] += 1
        self._acknowledge([item], out)

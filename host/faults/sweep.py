"""The review's periodic sweep: keep the fault log (R7) and the violation candidates (R6)
current from the facts the ingest stores. Idempotent; run it every minute or so.

``Sweeper`` runs it on a background thread with its own sessions. The host service starts
one next to the ingest pipeline: ``Sweeper(engine, clock, busy=...).start()`` ... ``stop()``.
It must not slow the ingest (issue 10, bench/sweep_ingest_bench.py): it writes in short
transactions (all reads first, then one commit per step: on SQLite the write lock is held
from the first write to the commit), and while the ingest has a backlog it gives way after
each step (``GiveWay``): it shares one interpreter lock with the ingest's writer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from host.calendar.config import load_config
from host.calendar.hours import working_within
from host.clock import Clock
from host.faults.detect import FaultRules, detect_outages, detect_silent, sync_pad_events
from host.goodbad import cases
from host.models.events import Event
from host.models.service import ServiceSession
from host.periodic import Periodic
from host.rules.month_span import month_of
from host.rules.types import Span
from host.violations.detect import detect_month

log = logging.getLogger(__name__)

# Look back a day: a pad offline overnight sends yesterday's events in the morning.
DEFAULT_LOOKBACK_MS = 86_400_000
# Facts committed while a sweep ran are caught by the next one: overlap the windows a little.
SINCE_OVERLAP_MS = 60_000
# Once a minute: faults show up in the IT page within a minute; far below the 3-min grace (R5).
DEFAULT_INTERVAL_S = 60.0
# While the ingest has a backlog, the sweep pauses this many times as long as its last step
# took: it then holds the interpreter lock at most 1/(1+3) of the time and the ingest keeps
# >= 80 % of its rate (it fell to ~20-50 % without). An idle ingest costs the sweep nothing.
GIVE_WAY_FACTOR = 3.0
# No single pause longer than this: the sweep still finishes within its minute.
GIVE_WAY_MAX_S = 2.0


class GiveWay:
    """Called between steps of background work: pauses while ``busy()`` (the ingest has a backlog)."""

    def __init__(self, busy: Callable[[], bool], factor: float = GIVE_WAY_FACTOR,
                 sleep: Callable[[float], object] = time.sleep) -> None:
        self.busy = busy
        self.factor = factor
        self.sleep = sleep
        self.paused_s = 0.0
        self._since = time.perf_counter()

    def __call__(self) -> None:
        took = time.perf_counter() - self._since
        if self.busy():
            pause = min(took * self.factor, GIVE_WAY_MAX_S)
            self.sleep(pause)
            self.paused_s += pause
        self._since = time.perf_counter()


def _no_pause() -> None:
    pass


@dataclass(frozen=True, slots=True)
class SweepResult:
    faults_opened: int
    outages: int
    silent_opened: int
    candidates_added: int
    cases_opened: int = 0
    warnings: tuple[str, ...] = ()


def windows_with_news(session: Session, since_ms: int) -> list[int]:
    """Windows with events received, or queue sessions started or ended, since ``since_ms``."""
    got = set(session.exec(select(Event.window_id).where(col(Event.received_ms) >= since_ms,
                                                         col(Event.window_id).is_not(None)).distinct()).all())
    got |= set(session.exec(select(ServiceSession.window_id).where(
        (col(ServiceSession.started_ms) >= since_ms) | (col(ServiceSession.ended_ms) >= since_ms))
        .distinct()).all())
    return sorted(w for w in got if w is not None)


def sweep(session: Session, *, now_ms: int, lookback_ms: int = DEFAULT_LOOKBACK_MS,
          rules: FaultRules | None = None, since_ms: int | None = None,
          pace: Callable[[], None] = _no_pause) -> SweepResult:
    """Sync the fault log from pad events, outages and silences, and detect the R6 candidates
    of the last ``lookback_ms``. Commits as it goes.

    ``since_ms`` (the previous sweep's time) limits candidate detection to windows with new
    facts since then; the first sweep looks at every window. ``pace`` runs between steps.
    """
    span = Span(now_ms - lookback_ms, now_ms + 1)
    opened = sync_pad_events(session, span, now_ms=now_ms, rules=rules)
    pace()
    outages = detect_outages(session, span, now_ms=now_ms, rules=rules)
    pace()
    working, warnings = working_within(session, span)
    pace()
    # Only what has already happened: a working session still running is judged up to now.
    clipped = {w: [Span(s.start_ms, min(s.end_ms, now_ms)) for s in spans if s.start_ms < now_ms]
               for w, spans in working.items()}
    silent = detect_silent(session, clipped, now_ms=now_ms, rules=rules)
    pace()
    added = 0
    window_ids = windows_with_news(session, since_ms) if since_ms is not None else None
    for month in sorted({month_of(span.start_ms), month_of(now_ms)}):
        if window_ids == []:
            break
        done = detect_month(session, month, now_ms=now_ms, window_ids=window_ids, within=span, pace=pace)
        added += sum(r.added for r in done.results.values())
        warnings += list(done.warnings)
    # 好差评: a case for every bad review the live watch missed (host.goodbad.cases; idempotent).
    cases_opened = cases.open_since(session, load_config(session), span.start_ms, now_ms, pace=pace)
    return SweepResult(opened, len(outages), silent, added, warnings=tuple(dict.fromkeys(warnings)),
                       cases_opened=cases_opened)


class Sweeper(Periodic):
    """Runs ``sweep`` every ``interval_s`` seconds on a daemon thread until ``stop`` (the first at once)."""

    name = "review-sweep"

    def __init__(self, engine: Engine, clock: Clock, interval_s: float = DEFAULT_INTERVAL_S,
                 busy: Callable[[], bool] | None = None) -> None:
        """``busy``: whether the ingest has a backlog now (the sweep gives way to it then)."""
        super().__init__(interval_s)
        self.engine = engine
        self.busy = busy
        self.clock = clock
        self.last: SweepResult | None = None
        self.last_ms: int | None = None   # when the last sweep finished (the violation queue says so)
        self._since: int | None = None

    def run_once(self) -> SweepResult:
        now = self.clock.now_ms()
        started = time.perf_counter()
        pace = GiveWay(self.busy) if self.busy is not None else None
        with Session(self.engine) as session:
            self.last = sweep(session, now_ms=now, since_ms=self._since, pace=pace or _no_pause)
        self._since = now - SINCE_OVERLAP_MS
        self.last_ms = self.clock.now_ms()
        log.info("review sweep: %s faults, %s candidates added in %.1f s (%.1f s given to the ingest)",
                 self.last.faults_opened + self.last.silent_opened, self.last.candidates_added,
                 time.perf_counter() - started, pace.paused_s if pace else 0.0)

        for w in self.last.warnings:
            log.warning("review sweep: %s", w)
        return self.last


"""The management section (管理科) of a simulated 好差评 hall (issue 16): it sets the center's
deadlines, and for each bad review the truth saw it calls the citizen back (回访), records the
rectification (整改) and closes the case (结案) when the plan says (simulator.behaviour.plan_handling:
some on time, some late, some never within the run), through the host's own services
(host.calendar.config.set_setting, host.goodbad.cases) on the simulated clock, as a person on the
management page would. The truth records when each step really happened.

The simulated host runs without its HTTP service, so nothing in it opens the cases: the desk runs
the host's own live check (host.goodbad.watch.check, what the full service's watch runs every few
seconds) at each look, before any step.
"""

from __future__ import annotations

import heapq
import logging

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from host.calendar.config import CALLBACK_DAYS, RECTIFY_DAYS, set_setting
from host.clock import Clock
from host.errors import ServiceError
from host.goodbad import cases, watch
from host.models.goodbad import BadReview
from simulator.behaviour import plan_handling
from simulator.scenario import GoodBad, Scenario
from simulator.truth import Truth, is_bad

log = logging.getLogger(__name__)

ACTOR = "管理科-sim"
WATCH_EVERY_MS = 60_000        # the live watch's look (every few seconds in the full service)
MATCH_MS = 3_000               # a pad stamps a press when its debounce accepts it (tens of ms later)
STEPS = ("callback", "rectify")


def configure(engine: Engine, sc: Scenario, clock: Clock) -> None:
    """The center's 回访 / 整改 deadlines (working days), as the management section sets them (R12)."""
    if sc.goodbad is None:
        return
    with Session(engine) as s:
        days = ((CALLBACK_DAYS, sc.goodbad.callback_days), (RECTIFY_DAYS, sc.goodbad.rectify_days))
        for key, value in days:
            set_setting(s, clock, key, str(value), by=ACTOR, reason=f"scenario {sc.hall.name}")


class ManagementDesk:
    """Called at every engine sync (``tick``): plans the handling of new bad reviews in the truth,
    opens the host's cases (its watch check) and records the steps that are due."""

    def __init__(self, engine: Engine, sc: Scenario, clock: Clock, truth: Truth) -> None:
        assert sc.goodbad is not None
        self.engine = engine
        self.sc = sc
        self.goodbad: GoodBad = sc.goodbad
        self.clock = clock
        self.truth = truth
        self.devices = {w.number: sc.device_of(w) for w in sc.hall.windows}
        self._seen = 0                      # truth.evals looked at
        self._after = 0                     # the watch's last event id
        self._last_watch: int | None = None
        self._due: list[tuple[int, int, str, str, int]] = []   # at, order, step, window, pressed
        self._n = 0
        self._case_of: dict[tuple[str, int], int] = {}
        self._claimed: set[int] = set()
        self.failed = 0

    def _plan(self) -> None:
        for e in self.truth.evals[self._seen:]:
            if not is_bad(e):
                continue
            h = plan_handling(self.sc, e.window, e.at_ms, self.goodbad)
            for step, at in (("callback", h.callback_at), ("rectify", h.rectify_at)):
                if at is not None:
                    self._n += 1
                    heapq.heappush(self._due, (at, self._n, step, e.window, e.at_ms))
        self._seen = len(self.truth.evals)

    def tick(self) -> None:
        now = self.clock.now_ms()
        self._plan()
        due = bool(self._due) and self._due[0][0] <= now
        if not due and self._last_watch is not None and now - self._last_watch < WATCH_EVERY_MS:
            return
        with Session(self.engine) as s:
            self._after, _, _ = watch.check(s, after_id=self._after, now_ms=now)
            self._last_watch = now
            later: list[tuple[int, int, str, str, int]] = []
            while self._due and self._due[0][0] <= now:
                item = heapq.heappop(self._due)
                if not self._step(s, item, now):
                    later.append(item)          # the host has no case yet: try at the next look
            for item in later:
                heapq.heappush(self._due, item)

    def _find(self, s: Session, window: str, pressed: int) -> int | None:
        key = (window, pressed)
        if key in self._case_of:
            return self._case_of[key]
        rows = s.exec(select(BadReview).where(
            BadReview.device_id == self.devices[window], col(BadReview.at_ms) >= pressed - MATCH_MS,
            col(BadReview.at_ms) <= pressed + MATCH_MS)).all()
        free = sorted((abs(r.at_ms - pressed), r.id) for r in rows if r.id not in self._claimed)
        if not free or free[0][1] is None:
            return None
        case_id = int(free[0][1])
        self._claimed.add(case_id)
        self._case_of[key] = case_id
        return case_id

    def _step(self, s: Session, item: tuple[int, int, str, str, int], now: int) -> bool:
        _, _, step, window, pressed = item
        done = self.truth.steps.get((window, pressed), {})
        if step == "rectify" and "callback" not in done and self._pending(window, pressed, "callback"):
            return False                        # the call back comes first
        case_id = self._find(s, window, pressed)
        if case_id is None:
            return False
        try:
            if step == "callback":
                cases.call_back(s, self.clock, case_id, outcome="已电话回访，群众表示理解", by=ACTOR)
            else:
                cases.rectify(s, self.clock, case_id, action="窗口已整改：加强业务培训", by=ACTOR)
            self.truth.handled(window, pressed, step, now)
            done = self.truth.steps[(window, pressed)]
            if "callback" in done and "rectify" in done:
                cases.close_case(s, self.clock, case_id, note="已回访并整改，结案", by=ACTOR)
                self.truth.handled(window, pressed, "close", now)
        except ServiceError as exc:
            s.rollback()
            self.failed += 1
            log.warning("the host refused the %s of case %s at %s: %s", step, case_id, window, exc)
        return True

    def _pending(self, window: str, pressed: int, step: str) -> bool:
        return any(st == step and w == window and p == pressed for _, _, st, w, p in self._due)

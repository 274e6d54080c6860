"""The hall engine: N pads on the real firmware, one simulated clock, behaviours and incidents.

One thread drives everything, in simulated time (``host.clock.ManualClock``, which the host
may share): it advances the clock, runs a firmware loop step on each powered pad whose next
step has come, and carries out the people's actions and the scenario's incidents when their
moment comes. A button press is run finely (a step every 25 ms through the hold), as the
firmware's debounce needs; idle time is stepped coarsely on a grid of ``quantum_ms``; a quiet
pad (``SimPad.quiet``: connected, serving, nothing to send, no timer running) sleeps until the
grid point of its next heartbeat, so a month costs about one step per pad and heartbeat (the
heartbeats of many pads share a grid point, and so one host commit); an action or incident
steps only its own pad; a night when every pad is off is skipped at once.

Pacing: with ``speed`` the clock runs at most that many times real time (1 for the real-time
demo). ``sync_ms`` bounds how far the host may fall behind: that often the engine waits
until every connected pad's events are acknowledged, i.e. committed by the host, so the
host's liveness (heartbeat timeouts on the shared clock) never judges a pad by a clock that
ran ahead of its messages.

Everything the people did and every incident is recorded in ``truth`` as it happens.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from host.clock import RULES_TZ, ManualClock, local, to_ms
from simulator.behaviour import REASONS, Action, Planner
from simulator.pad import LONG_HOLD_MS, RATING_HOLD_MS, STAFF_TAP_MS, SimPad
from simulator.scenario import Scenario
from simulator.truth import Truth

log = logging.getLogger(__name__)

QUANTUM_MS = 10_000         # idle loop step in simulated time: heartbeats (30 s) stay within 10 s
SYNC_MS = 60_000            # default checkpoint: the host is never more than a simulated minute behind
SYNC_TIMEOUT_S = 15.0       # waiting longer means the host is stuck; say so and go on
FINAL_SYNC_TIMEOUT_S = 120.0  # at the end the host may have a backlog to work off
PLAN_AHEAD_DAYS = 1
RATINGS = ("satisfied", "unsatisfied")
STUCK_SETTLE_MS = 100       # the firmware debounces a level change over a few 25 ms steps


@dataclass(frozen=True, slots=True, order=True)
class _Incident:
    at_ms: int
    order: int
    kind: str               # power_cut / power_back / net_down / net_up / stuck / unstuck / broker_restart
    window: str = ""
    button: str = ""


@dataclass
class Stats:
    started: float = field(default_factory=time.monotonic)
    steps: int = 0
    actions: int = 0
    syncs: int = 0
    sync_wait_s: float = 0.0
    sync_timeouts: int = 0
    sim_ms: int = 0

    @property
    def wall_s(self) -> float:
        return time.monotonic() - self.started


OnService = Callable[[str, str, str, int], None]     # window, ticket, "start"|"end", at_ms
OnQueuePrompt = Callable[[str, str, str, "str | None"], bool]   # window, ticket, case, item


class HallEngine:
    def __init__(self, sc: Scenario, pads: dict[str, SimPad], clock: ManualClock, *,
                 start_ms: int | None = None, end_ms: int | None = None, speed: float | None = None,
                 quantum_ms: int = QUANTUM_MS, sync_ms: int | None = SYNC_MS,
                 on_service: OnService | None = None, on_sync: Callable[[], object] | None = None,
                 restart_broker: Callable[[], None] | None = None, planner: Planner | None = None,
                 on_at_start: bool = False, on_queue_prompt: OnQueuePrompt | None = None,
                 coarse: bool = True) -> None:
        """``on_queue_prompt(window, ticket, case, item)``: the queue system asks the host to prompt
        the window's pad with the case (issue 16); True once the host published the command."""
        self.sc = sc
        self.pads = pads
        self.clock = clock
        self.start_ms = sc.start_ms if start_ms is None else start_ms
        self.end_ms = sc.end_ms if end_ms is None else end_ms
        self.speed = speed
        self.quantum_ms = quantum_ms
        self.sync_ms = sync_ms
        self.on_service = on_service
        self.on_sync = on_sync
        self.restart_broker = restart_broker
        self.on_queue_prompt = on_queue_prompt
        self.planner = planner or Planner(sc)
        self.truth = Truth()
        self.stats = Stats()
        self.stop_event = threading.Event()
        self._windows = {w.number: w for w in sc.hall.windows}
        self._queue: list[tuple[int, int, object]] = []
        self._n = 0
        self._planned_until: date | None = None
        self._open_tickets: set[str] = set()
        self._mains = {n: True for n in pads}          # power at the socket (power cuts)
        self._switched = {n: on_at_start for n in pads}   # staff's power switch (demo: already on)
        self._due: dict[str, int] = {}                 # each powered pad's next idle step
        self.coarse = coarse
        self._incidents()

    # -- the schedule -----------------------------------------------------------------------

    def _push(self, at_ms: int, item: object) -> None:
        self._n += 1
        heapq.heappush(self._queue, (at_ms, self._n, item))

    def _incidents(self) -> None:
        for i, inc in enumerate(self.sc.incidents):
            a = inc.at_ms
            if inc.kind == "broker_restart":
                self._push(a, _Incident(a, i, "broker_restart"))
                continue
            start, end = {"power_cut": ("power_cut", "power_back"), "network_loss": ("net_down", "net_up"),
                          "stuck_button": ("stuck", "unstuck")}[inc.kind]
            for w in self.sc.incident_windows(inc):
                self._push(a, _Incident(a, i, start, w.number, inc.button))
                self._push(a + inc.duration, _Incident(a + inc.duration, i, end, w.number, inc.button))

    def _plan_through(self, ms: int) -> None:
        last = local(ms).date() + timedelta(days=PLAN_AHEAD_DAYS)
        day = local(self.start_ms).date() if self._planned_until is None else \
            self._planned_until + timedelta(days=1)
        while day <= last:
            for w in self.sc.hall.windows:
                if w.number in self.pads:
                    for a in self.planner.plan_day(w, day).actions:
                        if self.start_ms <= a.at_ms < self.end_ms:
                            self._push(a.at_ms, a)
            self._planned_until = day
            day += timedelta(days=1)

    def _horizon_ms(self) -> int:
        """The end of the last planned day: the clock may jump over empty days only one at a time."""
        assert self._planned_until is not None
        day = self._planned_until + timedelta(days=1)
        return to_ms(datetime.combine(day, datetime.min.time(), tzinfo=RULES_TZ))

    # -- running ------------------------------------------------------------------------------

    def stop(self) -> None:
        self.stop_event.set()

    def run(self, progress: Callable[[int], None] | None = None) -> Stats:
        now = self.start_ms
        self.clock.set(now)
        self._plan_through(now)
        for number in self.pads:
            self._boot(number, now)         # pads whose switch is already on (the demo)
        real0 = time.monotonic()
        last_sync = now
        last_progress = now
        due = self._due
        while now < self.end_ms and not self.stop_event.is_set():
            self._plan_through(now)
            nxt = self._queue[0][0] if self._queue else self.end_ms
            powered = [(n, p) for n, p in self.pads.items() if p.on]
            for n, _p in powered:
                if n not in due:
                    due[n] = now                      # just switched on: its first step now
            target = min([nxt, self.end_ms, *(due[n] for n, _ in powered)])
            target = max(min(target, self._horizon_ms()), now)   # never past what is planned
            if self.speed:
                ahead = real0 + (target - self.start_ms) / self.speed / 1000 - time.monotonic()
                if ahead > 0 and self.stop_event.wait(ahead):
                    break
            now = target
            self.clock.set(now)
            for n, p in powered:               # only the pads whose next step has come
                if due[n] <= now:
                    p.advance_to(now)
                    self._step(n, p)
                    self.stats.steps += 1
                    due[n] = p.next_step_ms(now, self.quantum_ms) if self.coarse else now + self.quantum_ms
            for n, p in self.pads.items():
                if not p.on:
                    due.pop(n, None)
            while self._queue and self._queue[0][0] <= now:
                _, _, item = heapq.heappop(self._queue)
                self._execute(item, now)
                self.stats.actions += 1
            if self.sync_ms is not None and now - last_sync >= self.sync_ms:
                self.checkpoint()
                last_sync = now
            if progress is not None and now - last_progress >= 3_600_000:
                progress(now)
                last_progress = now
        self.sync(FINAL_SYNC_TIMEOUT_S)
        for n, p in self.pads.items():
            if p.on:
                self.truth.unpowered(n, now)   # the truth ends where the run ends
        self.stats.sim_ms = now - self.start_ms
        return self.stats

    def _step(self, number: str, pad: SimPad) -> None:
        boots = pad.boots
        pad.step()
        if pad.boots != boots:     # the firmware restarted itself (a reboot it asked for, a crash)
            self.truth.note(pad.now, number, "reboot")

    def checkpoint(self) -> None:
        """Every ``sync_ms``: let the host catch up (``on_sync``) before the clock moves on.

        Events need no waiting here: each pad keeps them until acknowledged, and the host takes
        each pad's messages in order, so once it has heard a pad's newest heartbeat it has also
        stored the events sent before it. ``sync`` (acks) runs at the end and around incidents.
        """
        self.stats.syncs += 1
        t0 = time.monotonic()
        if self.on_sync is not None:
            self.on_sync()
        self.stats.sync_wait_s += time.monotonic() - t0

    def sync(self, timeout_s: float = SYNC_TIMEOUT_S) -> bool:
        """Wait until every connected pad's events are acknowledged (committed by the host)."""
        t0 = time.monotonic()
        try:
            while True:
                waiting = [(n, p) for n, p in self.pads.items() if p.connected and p.unacked()]
                if not waiting:
                    return True
                if time.monotonic() - t0 > timeout_s:
                    self.stats.sync_timeouts += 1
                    log.warning("host has not acknowledged %d events of %d pads within %.0fs; going on",
                                sum(p.unacked() for _, p in waiting), len(waiting), timeout_s)
                    return False
                for n, p in waiting:
                    self._step(n, p)  # reads acks, sends what is pending; the clock stands still
                time.sleep(0.001)
        finally:
            self.stats.sync_wait_s += time.monotonic() - t0
            if self.on_sync is not None:
                self.on_sync()

    # -- actions and incidents ---------------------------------------------------------------

    def _execute(self, item: object, now: int) -> None:
        if isinstance(item, Action):
            self._act(item, now)
        elif isinstance(item, _Incident):
            self._incident(item, now)

    def _boot(self, number: str, at: int) -> None:
        pad = self.pads[number]
        if not pad.on and self._switched[number] and self._mains[number]:
            pad.switch_on(at)
            self.truth.powered(number, at)

    def _act(self, a: Action, now: int) -> None:
        pad = self.pads.get(a.window)
        if pad is None:
            return
        t = self.truth
        at = max(now, pad.now)
        if a.kind == "service_start":
            t.service(a.window, a.ticket or "", a.at_ms)
            self._open_tickets.add(a.ticket or "")
        if a.kind in ("service_start", "service_end"):
            if a.kind == "service_end" and (a.ticket or "") not in self._open_tickets:
                return                       # began before the run started (the demo joins mid-day)
            if a.kind == "service_end":
                self._open_tickets.discard(a.ticket or "")
            if self.on_service is not None:
                self.on_service(a.window, a.ticket or "", a.kind.removeprefix("service_"), a.at_ms)
            return
        if a.tag and a.kind != "rate":
            t.note(at, a.window, a.tag)
        if a.kind == "switch_on":
            self._switched[a.window] = True
            self._boot(a.window, at)
            return
        if a.kind == "forgot":
            return
        if not pad.on:
            if a.kind == "rate":
                t.note(at, a.window, "missed_press", "pad off")
            elif a.kind == "prompt":
                t.note(at, a.window, "prompt_lost", "pad off")   # the host sees a session without prompt
            elif a.kind == "switch_off":
                self._switched[a.window] = False
            return
        pad.advance_to(at)
        ex = pad.expect
        thanks = self.sc.pads.thanks_s * 1000
        if a.kind == "switch_off":
            self._switched[a.window] = False
            pad.hold("power", LONG_HOLD_MS)
            t.unpowered(a.window, pad.now)
        elif a.kind == "prompt":
            if ex.paused:
                t.note(at, a.window, "prompt_lost", "paused")
                return
            ex.reason_until = 0               # the next citizen's prompt ends a reason screen
            if a.case is not None and self.on_queue_prompt is not None:
                self._queue_prompt(pad, a)
                return
            if at < ex.prompt_until:          # the key again during a prompt cancels it
                ex.prompt_until = 0
            else:
                ex.prompt_until = at + self.sc.pads.prompt_timeout_s * 1000
            pad.hold("staff", STAFF_TAP_MS)
        elif a.kind == "cancel":
            if ex.paused or at >= ex.prompt_until:
                return
            ex.prompt_until = 0
            pad.hold("staff", STAFF_TAP_MS)
        elif a.kind in ("pause", "resume"):
            if ex.paused == (a.kind == "pause"):
                return
            if a.kind == "pause" and at < ex.prompt_until:
                # Pausing cancels the prompt showing: staff cancelled a prompt, which the host
                # rightly flags as a refusal candidate (R6) for the management section to judge.
                t.note(at, a.window, "cancel_prompt", "paused during the prompt")
            ex.paused = not ex.paused
            ex.prompt_until = 0               # pausing ends a prompt (cancelled)
            ex.reason_until = 0
            pad.hold("staff", LONG_HOLD_MS)
        elif a.kind == "rate":
            self._rate(pad, a, at, thanks)
        elif a.kind == "reason":
            self._reason(pad, a, at, thanks)

    def _queue_prompt(self, pad: SimPad, a: Action) -> None:
        """The queue system prompts through the host (a ``prompt`` command with the case); the pad
        shows it once the command arrives over the broker, a moment later."""
        assert a.case is not None and self.on_queue_prompt is not None
        ex = pad.expect
        sent = self.on_queue_prompt(a.window, a.ticket or "", a.case, a.item)
        if not (sent and pad.await_prompt(a.ticket or "")):
            self.truth.note(pad.now, a.window, "prompt_lost", "the queue system's prompt did not arrive")
            return
        ex.prompt_until = pad.now + self.sc.pads.prompt_timeout_s * 1000
        ex.case = a.case

    def _key(self, a: Action) -> tuple[str, int | None]:
        """The button a rating press uses, and its level (five keys, issue 16): a rating planned
        without one (staff rating themselves) is the end key of its side."""
        assert a.rating is not None
        if self.sc.pads.layout != "five":
            return a.rating, None
        level = a.level or (5 if a.rating == "satisfied" else 1)
        return f"level{level}", level

    def _rate(self, pad: SimPad, a: Action, at: int, thanks: int) -> None:
        t, ex = self.truth, pad.expect
        assert a.rating is not None
        key, level = self._key(a)
        if a.tag:
            t.note(at, a.window, a.tag)
        if key in pad.stuck:
            t.note(at, a.window, "missed_press", "button stuck")
            return
        if ex.paused:
            t.note(at, a.window, "press_ignored", "paused")
        elif at < ex.reason_until:
            # The reason screen is up: the key picks a reason (the fifth skips), not a rating.
            assert level is not None
            picked = REASONS[5 - level] if level > 1 else None
            t.note(at, a.window, "reason_instead_of_rating", picked or "skip")
            if picked is not None:
                t.reason(at, a.window, picked)
            ex.reason_until = 0
            ex.thanks_until = at + thanks if picked is not None else 0
        elif at < ex.thanks_until:
            t.note(at, a.window, "press_ignored", "repeat")
        else:
            prompted = at < ex.prompt_until
            t.evaluation(at, a.window, a.rating, prompted, a.tag, level, ex.case if prompted else None)
            ex.prompt_until = 0
            ex.case = None
            if level is not None and level <= 2 and self.sc.pads.reason_s > 0:
                ex.thanks_until = 0
                ex.reason_until = at + self.sc.pads.reason_s * 1000
            else:
                ex.thanks_until = at + thanks
        pad.hold(key, RATING_HOLD_MS)

    def _reason(self, pad: SimPad, a: Action, at: int, thanks: int) -> None:
        """A citizen picks a reason on the five-key pad's reason screen (its key: the reason's place)."""
        t, ex = self.truth, pad.expect
        assert a.reason is not None
        if ex.paused or at >= ex.reason_until:
            t.note(at, a.window, "reason_missed", a.reason)     # the screen was gone: nothing pressed
            return
        key = f"level{5 - REASONS.index(a.reason)}"
        if key in pad.stuck:
            t.note(at, a.window, "missed_press", "button stuck")
            return
        t.reason(at, a.window, a.reason)
        ex.reason_until = 0
        ex.thanks_until = at + thanks
        pad.hold(key, RATING_HOLD_MS)

    def _incident(self, inc: _Incident, now: int) -> None:
        t = self.truth
        t.note(now, inc.window, inc.kind, inc.button if inc.kind in ("stuck", "unstuck") else "")
        if inc.kind == "broker_restart":
            if self.restart_broker is None:
                log.warning("scenario restarts the broker, but this run cannot (external broker); skipped")
                return
            self.sync()
            self.restart_broker()
            return
        pad = self.pads.get(inc.window)
        if pad is None:
            return
        if inc.kind == "power_cut":
            self._mains[inc.window] = False
            if pad.on:
                pad.cut_power()
                t.unpowered(inc.window, now)
        elif inc.kind == "power_back":
            self._mains[inc.window] = True
            self._boot(inc.window, now)
        elif inc.kind in ("net_down", "net_up"):
            pad.set_wifi(inc.kind == "net_up")
        elif inc.kind in ("stuck", "unstuck"):
            if inc.kind == "stuck" and pad.on and inc.button in RATINGS:
                ex = pad.expect
                if not ex.paused and now >= ex.thanks_until:
                    # The button going down looks like a citizen's press to any pad: it counts
                    # once before the stuck-button check (> 10 s) can know better. No citizen
                    # rated, so the truth keeps it apart; the checker shows it as a difference.
                    t.note(now, inc.window, "phantom_press", inc.button)
                    ex.prompt_until = 0
                    ex.thanks_until = now + self.sc.pads.thanks_s * 1000
            pad.advance_to(now)           # its idle loop may be asleep until its next step
            pad.set_stuck(inc.button, inc.kind == "stuck")
            pad.run_fine(STUCK_SETTLE_MS)

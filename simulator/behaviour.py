"""Behaviour models: what staff and citizens at one window do on one day, as timed actions.

The plan says what people *try* to do (press a button at a moment); the engine carries it
out on the pad and records in the ground truth what really happened (a press on a pad that
has no power does nothing). Plans are deterministic: one random stream per (seed, window,
day), so changing one window never changes another's day.

Working sessions come from the rules themselves (``host.rules.sessions``, R5), so staff
work exactly the hours the score judges.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from host.clock import RULES_TZ, to_ms
from host.rules.calendar import Calendar, is_summer
from host.rules.sessions import WindowSchedule, sessions_for_day
from host.rules.types import Span, WorkSession
from protocol import spec
from simulator.scenario import Behaviour, GoodBad, PadSettings, Scenario, WindowSpec
from simulator.workdays import add_working, working_between

MINUTE = 60_000
SECOND = 1_000
# Staff switch the pad on 5-15 minutes before the first session (before the rules look).
SWITCH_ON_EARLY_MS = (5 * MINUTE, 15 * MINUTE)
SWITCH_OFF_AFTER_MS = (2 * MINUTE, 10 * MINUTE)
MIN_SERVICE_MS = 2 * MINUTE          # shorter than a prompt cycle would overlap the next citizen
GAP_BETWEEN_CITIZENS_MS = (20 * SECOND, 60 * SECOND)
PROMPT_BEFORE_END_MS = 25 * SECOND   # staff prompt near the end of the service
RATE_DELAY_MS = (2 * SECOND, 8 * SECOND)
LAST_CITIZEN_MARGIN_MS = 2 * MINUTE  # nobody is called to the window in the last 2 minutes
# A five-key hall (issue 16): which level a satisfied / unsatisfied citizen presses, and when
# one who gave a bad review picks a reason (the reason screen shows for pads.reason_s).
SATISFIED_LEVELS = ((5, 0.6), (4, 0.3), (3, 0.1))
UNSATISFIED_LEVELS = ((2, 0.7), (1, 0.3))
REASON_DELAY_MS = (2 * SECOND, 6 * SECOND)
REASONS = ("efficiency", "skill", "attitude", "other")     # protocol.spec.REASONS, left to right
# The management section (issue 16) calls back and rectifies in its office hours, at least half an
# hour after the bad review; a late step comes 1-2 working days after its due date.
OFFICE_SPANS = ((time(9, 30), time(11, 30)), (time(14, 0), time(16, 30)))
HANDLE_AFTER_MS = 30 * MINUTE
LATE_BY_WORKING_DAYS = (1, 2)


@dataclass(frozen=True, slots=True, order=True)
class Action:
    """One thing a person does at ``at_ms`` on the pad of window ``window``.

    kinds: switch_on, switch_off (power key), prompt, cancel (staff key short), pause, resume
    (staff key long), rate (a rating button; ``level`` on a five-key pad), reason (a five-key
    pad's reason screen: ``reason``), service_start, service_end (the queue system).
    ``tag`` names the misbehaviour this action is (forget_prompt, cancel_prompt, press_twice,
    self_rate, switch_off, late) or "".
    """

    at_ms: int
    order: int
    window: str
    kind: str
    rating: str | None = None
    ticket: str | None = None
    tag: str = ""
    prompted: bool = False
    level: int | None = None
    reason: str | None = None
    case: str | None = None         # a queue-system prompt's case number and item (issue 16)
    item: str | None = None


@dataclass
class DayPlan:
    window: str
    day: date
    sessions: list[WorkSession]
    actions: list[Action] = field(default_factory=list)


def schedule_of(w: WindowSpec) -> WindowSchedule:
    return WindowSchedule(noon_duty_weekdays=frozenset(w.noon_duty_weekdays),
                          saturday_spans=tuple(w.saturday),
                          closed_weekdays=frozenset(w.closed_weekdays))


def work_sessions(w: WindowSpec, day: date, calendar: Calendar, hours: str = "rules") -> list[WorkSession]:
    if hours == "always":
        start = datetime.combine(day, time(0), tzinfo=RULES_TZ)
        return [WorkSession(day, "day", Span(to_ms(start), to_ms(start + timedelta(days=1))))]
    return sessions_for_day(day, calendar.kind(day), is_summer(day, {}), schedule_of(w))


def _poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method; lam is small here (arrivals per hour, events per day)."""
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _uniform_ms(rng: random.Random, lo_hi: tuple[int, int]) -> int:
    return rng.randint(*lo_hi)


def _weighted(rng: random.Random, choices: tuple[tuple[int, float], ...]) -> int:
    x = rng.random()
    for value, share in choices:
        x -= share
        if x < 0:
            return value
    return choices[-1][0]


class Planner:
    """Plans each window's days of a scenario."""

    def __init__(self, scenario: Scenario, calendar: Calendar | None = None) -> None:
        self.sc = scenario
        self.calendar = calendar or Calendar()
        self.pads: PadSettings = scenario.pads
        self._order = 0

    def _act(self, plan: DayPlan, at_ms: int, kind: str, **kw: object) -> None:
        self._order += 1
        plan.actions.append(Action(at_ms, self._order, plan.window, kind, **kw))  # type: ignore[arg-type]

    def rng(self, w: WindowSpec, day: date) -> random.Random:
        return random.Random(f"{self.sc.seed}:{w.number}:{day.isoformat()}")

    def plan_day(self, w: WindowSpec, day: date) -> DayPlan:
        b = self.sc.behaviour_of(w.number)
        rng = self.rng(w, day)
        sessions = work_sessions(w, day, self.calendar, self.sc.hall.hours)
        plan = DayPlan(w.number, day, sessions)
        if not sessions:
            return plan
        first, last = sessions[0].span, sessions[-1].span
        # -- switching on (maybe late) and off --
        assert b.late_share is not None and b.late is not None
        if rng.random() < b.late_share:
            on_at = first.start_ms + int(b.late * rng.uniform(0.8, 1.2))
            self._act(plan, on_at, "switch_on", tag="late")
        else:
            on_at = first.start_ms - _uniform_ms(rng, SWITCH_ON_EARLY_MS)
            self._act(plan, on_at, "switch_on")
        if b.night_off and self.sc.hall.hours == "rules":
            self._act(plan, last.end_ms + _uniform_ms(rng, SWITCH_OFF_AFTER_MS), "switch_off")
        # -- blocks in which staff do not serve: pauses and switching off --
        blocked: list[tuple[int, int]] = [(first.start_ms, on_at)] if on_at > first.start_ms else []
        assert b.pauses_per_day is not None and b.pause is not None
        for _ in range(_poisson(rng, b.pauses_per_day)):
            s = rng.choice(sessions).span
            start = rng.randint(s.start_ms, max(s.start_ms, s.end_ms - b.pause))
            if start < on_at:
                continue
            end = start + int(b.pause * rng.uniform(0.5, 1.5))
            blocked.append((start, end))
            self._act(plan, start, "pause")
            self._act(plan, end, "resume")
        assert b.switch_off_per_month is not None and b.switch_off is not None
        per_day = b.switch_off_per_month / 22          # about 22 working days a month
        if rng.random() < per_day:
            s = rng.choice(sessions).span
            start = rng.randint(s.start_ms, max(s.start_ms, s.end_ms - b.switch_off))
            if start >= on_at:
                end = start + b.switch_off
                blocked.append((start, end))
                self._act(plan, start, "switch_off", tag="switch_off")
                self._act(plan, end, "switch_on")
        blocked.sort()
        # -- citizens --
        for session in sessions:
            self._citizens(plan, w, b, rng, session, blocked)
        # -- staff rating themselves, in the noon break (outside working hours, R6) --
        assert b.self_rate_per_day is not None
        if len(sessions) >= 2:
            noon = sessions[0].span.end_ms
            for _ in range(_poisson(rng, b.self_rate_per_day)):
                self._act(plan, noon + rng.randint(2 * MINUTE, 20 * MINUTE), "rate", rating="satisfied",
                          tag="self_rate")
        plan.actions.sort()
        return plan

    def _citizens(self, plan: DayPlan, w: WindowSpec, b: Behaviour, rng: random.Random,
                  s: WorkSession, blocked: list[tuple[int, int]]) -> None:
        assert b.arrivals_per_hour is not None and b.service is not None
        arrivals: list[int] = []
        day0 = datetime.combine(s.day, time(0), tzinfo=RULES_TZ)
        rates = dict(b.arrivals_per_hour)
        if self.sc.hall.hours == "always" and rates:
            mean = sum(rates.values()) / len(rates)
            rates = {h: rates.get(h, mean) for h in range(24)}
        for hour, rate in rates.items():
            h0 = to_ms(day0 + timedelta(hours=hour))
            lo, hi = max(h0, s.span.start_ms), min(h0 + 60 * MINUTE, s.span.end_ms)
            if hi <= lo:
                continue
            for _ in range(_poisson(rng, rate * (hi - lo) / (60 * MINUTE))):
                arrivals.append(rng.randint(lo, hi - 1))
        arrivals.sort()
        free_at = s.span.start_ms
        n = 0
        for arrived in arrivals:
            start = max(arrived, free_at)
            for a, z in blocked:              # staff away or pad off: the citizen waits
                if a <= start < z:
                    start = z
            if start >= s.span.end_ms - LAST_CITIZEN_MARGIN_MS:
                break
            dur = max(MIN_SERVICE_MS, min(int(rng.expovariate(1 / b.service)), 4 * b.service))
            dur = min(dur, s.span.end_ms - start)   # the rating happens inside working hours
            end = start + dur
            free_at = end + _uniform_ms(rng, GAP_BETWEEN_CITIZENS_MS)
            n += 1  # noqa: SIM113 - counts served citizens, not arrivals
            self._citizen(plan, w, b, rng, start, end, f"{w.number}-{s.day:%m%d}-{s.name[:1]}{n:03d}")

    def _citizen(self, plan: DayPlan, w: WindowSpec, b: Behaviour, rng: random.Random,
                 start: int, end: int, ticket: str) -> None:
        assert (b.forget_prompt is not None and b.prompt is not None and b.cancel_prompt is not None
                and b.rating_share is not None and b.press_twice is not None
                and b.unprompted_press is not None and b.satisfaction is not None)
        self._act(plan, start, "service_start", ticket=ticket)
        prompt_at = end - PROMPT_BEFORE_END_MS

        satisfaction = b.satisfaction
        five = self.pads.layout == "five"
        if five and b.bad_review_share is not None:
            satisfaction = 1 - b.bad_review_share

        def rating() -> str:
            return "satisfied" if rng.random() < satisfaction else "unsatisfied"  # type: ignore[operator]

        def rate(at_ms: int, **kw: object) -> None:
            """A rating press; on a five-key pad a level, and maybe a reason after a bad review."""
            r = rating()
            if not five:
                self._act(plan, at_ms, "rate", rating=r, **kw)
                return
            level = _weighted(rng, SATISFIED_LEVELS if r == "satisfied" else UNSATISFIED_LEVELS)
            self._act(plan, at_ms, "rate", rating=r, level=level, **kw)
            assert b.reason_share is not None
            if level <= 2 and self.pads.reason_s > 0 and rng.random() < b.reason_share:
                delay = min(_uniform_ms(rng, REASON_DELAY_MS), self.pads.reason_s * SECOND - SECOND)
                self._act(plan, at_ms + delay, "reason", reason=rng.choice(REASONS), ticket=ticket)

        # Not prompting, by habit or by forgetting, is the same R6 violation (未按程序提示评价).
        forgot = rng.random() < b.forget_prompt or rng.random() >= b.prompt
        if not forgot:
            if self.sc.hall.queue_prompts:    # the queue system prompts, with the case (issue 16)
                self._act(plan, prompt_at, "prompt", ticket=ticket, case="QP" + ticket.replace("-", ""),
                          item=w.name[:spec.CASE_MAX])
            else:
                self._act(plan, prompt_at, "prompt", ticket=ticket)
            if rng.random() < b.cancel_prompt:
                self._act(plan, prompt_at + rng.randint(2 * SECOND, 5 * SECOND), "cancel", ticket=ticket,
                          tag="cancel_prompt")
            elif rng.random() < b.rating_share:
                first = prompt_at + _uniform_ms(rng, RATE_DELAY_MS)
                rate(first, ticket=ticket, prompted=True)
                if rng.random() < b.press_twice:
                    # after the thank-you screen, before the minimum interval: a second
                    # evaluation that counts on the pad and that R6 flags (连续评价)
                    lo = (self.pads.thanks_s + 2) * SECOND
                    hi = max(lo, (self.pads.min_interval_s - 3) * SECOND)
                    rate(first + rng.randint(lo, hi), ticket=ticket, tag="press_twice")
        elif rng.random() < b.unprompted_press:
            rate(prompt_at, ticket=ticket, tag="forget_prompt" if forgot else "")
        elif forgot:
            self._act(plan, prompt_at, "forgot", ticket=ticket, tag="forget_prompt")
        self._act(plan, end, "service_end", ticket=ticket)


# -- the management side of 好差评 (issue 16) ----------------------------------------------------

@dataclass(frozen=True, slots=True)
class Handling:
    """What the management section will do about one bad review: the moments it calls the citizen
    back (回访) and records the rectification (整改), None for never (within the run), and whether
    it means to be late. The truth records when each step really happened."""

    callback_at: int | None
    rectify_at: int | None
    callback_late: bool = False
    rectify_late: bool = False


def _office_moment(rng: random.Random, day: date, after_ms: int) -> int | None:
    """A moment in the office hours of ``day`` after ``after_ms``, or None when none is left."""
    spans = []
    for a, b in OFFICE_SPANS:
        lo = max(to_ms(datetime.combine(day, a, tzinfo=RULES_TZ)), after_ms)
        hi = to_ms(datetime.combine(day, b, tzinfo=RULES_TZ))
        if hi > lo:
            spans.append((lo, hi))
    if not spans:
        return None
    lo, hi = rng.choice(spans)
    return rng.randint(lo, hi - 1)


def _step_at(rng: random.Random, after_ms: int, due: date, late: bool) -> int:
    """A moment for a step: on a working day up to ``due`` (on time) or 1-2 working days after it."""
    start = datetime.fromtimestamp(after_ms / 1000, RULES_TZ).date()
    if late:
        days = [add_working(due, rng.randint(*LATE_BY_WORKING_DAYS))]
    else:
        days = working_between(start, due) or [due]
    rng.shuffle(days)
    for day in [*days, *(add_working(due, k) for k in (1, 2, 3))]:
        at = _office_moment(rng, day, after_ms)
        if at is not None:
            return at
    return after_ms + HANDLE_AFTER_MS           # unreachable with office hours every working day


def plan_handling(sc: Scenario, window: str, pressed_ms: int, goodbad: GoodBad) -> Handling:
    """Whether and when the management section handles a bad review of ``window`` pressed at
    ``pressed_ms`` (the scenario's shares; deadlines from the official calendar, simulator.workdays).
    Its own random stream (seed, window, moment): citizens' plans never change because of it."""
    b = sc.behaviour_of(window)
    assert (b.callback_share is not None and b.callback_late_share is not None
            and b.rectify_share is not None and b.rectify_late_share is not None)
    rng = random.Random(f"{sc.seed}:{window}:{pressed_ms}:handling")
    day = datetime.fromtimestamp(pressed_ms / 1000, RULES_TZ).date()
    earliest = pressed_ms + HANDLE_AFTER_MS
    callback_at = rectify_at = None
    cb_late = rc_late = False
    if rng.random() < b.callback_share:
        cb_late = rng.random() < b.callback_late_share
        callback_at = _step_at(rng, earliest, add_working(day, goodbad.callback_days), cb_late)
    if rng.random() < b.rectify_share:
        rc_late = rng.random() < b.rectify_late_share
        after = max(earliest, (callback_at or 0) + MINUTE)
        rectify_at = _step_at(rng, after, add_working(day, goodbad.rectify_days), rc_late)
    return Handling(callback_at, rectify_at, cb_late, rc_late)

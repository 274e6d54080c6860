"""Ground truth (真实情况): what really happened in a simulated hall, and the score it deserves.

The engine records here every press that counted, every misbehaviour it caused, every
stretch a pad really had power and every service session. ``truth_scores`` turns that into
each window's monthly score with the host's own pure rules (R2-R5, R8, R9), so a difference
from the host's report is a difference in the facts the host collected -- which is the point
of the check. Violations (R6) deduct only once management confirms them, so the truth lists
them as expected candidates, never as deductions. A stuck rating button's press (``phantom_press``:
no citizen rated) is an expected ``stuck_button`` candidate the same way (R7, R2): the host counts
it until management confirms the candidate and so voids it.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date
from fractions import Fraction
from pathlib import Path

from host.clock import local
from host.rules.calendar import Calendar
from host.rules.closures import PowerFact, find_closures
from host.rules.month_span import month_span
from host.rules.score import closure_deduction, month_score
from host.rules.types import Closure, MonthScore, Span
from simulator.behaviour import work_sessions
from simulator.scenario import GoodBad, Scenario
from simulator.workdays import add_working


@dataclass(frozen=True, slots=True)
class TruthEval:
    at_ms: int
    window: str
    rating: str
    prompted: bool
    tag: str = ""                   # "" or the misbehaviour it is (press_twice, self_rate, ...)
    level: int | None = None        # a five-key pad's level (issue 16)
    case: str | None = None         # the case number its prompt carried (the queue system's, issue 16)


@dataclass(frozen=True, slots=True)
class TruthNote:
    """Something that happened and is not an evaluation: a misbehaviour, a missed press, an incident."""

    at_ms: int
    window: str
    kind: str
    detail: str = ""


@dataclass
class Truth:
    evals: list[TruthEval] = field(default_factory=list)
    reasons: list[TruthNote] = field(default_factory=list)   # five keys: a reason picked (detail)
    notes: list[TruthNote] = field(default_factory=list)
    # window -> [start, end] spans when its pad really had power and ran (end None: still on)
    power: dict[str, list[list[int | None]]] = field(default_factory=dict)
    sessions: dict[str, list[tuple[str, int]]] = field(default_factory=dict)   # ticket, start
    # 好差评's management side (issue 16): (window, the bad review's at_ms) -> step -> when it was
    # recorded in the host (callback 回访, rectify 整改, close 结案)
    steps: dict[tuple[str, int], dict[str, int]] = field(default_factory=dict)

    # -- recording (called by the engine as things happen) ---------------------------------

    def evaluation(self, at_ms: int, window: str, rating: str, prompted: bool, tag: str = "",
                   level: int | None = None, case: str | None = None) -> None:
        self.evals.append(TruthEval(at_ms, window, rating, prompted, tag, level, case))

    def reason(self, at_ms: int, window: str, reason: str) -> None:
        self.reasons.append(TruthNote(at_ms, window, "reason", reason))

    def handled(self, window: str, pressed_ms: int, step: str, at_ms: int) -> None:
        """The management section recorded ``step`` of the bad review pressed at ``pressed_ms``."""
        self.steps.setdefault((window, pressed_ms), {})[step] = at_ms

    def note(self, at_ms: int, window: str, kind: str, detail: str = "") -> None:
        self.notes.append(TruthNote(at_ms, window, kind, detail))

    def powered(self, window: str, at_ms: int) -> None:
        spans = self.power.setdefault(window, [])
        if not spans or spans[-1][1] is not None:
            spans.append([at_ms, None])

    def unpowered(self, window: str, at_ms: int) -> None:
        spans = self.power.get(window)
        if spans and spans[-1][1] is None:
            spans[-1][1] = at_ms

    def service(self, window: str, ticket: str, at_ms: int) -> None:
        self.sessions.setdefault(window, []).append((ticket, at_ms))

    # -- summaries --------------------------------------------------------------------------

    def counts(self) -> Counter[str]:
        c: Counter[str] = Counter(n.kind for n in self.notes)
        c["eval"] = len(self.evals)
        if self.reasons:
            c["reason"] = len(self.reasons)
            c["bad_review"] = sum(1 for e in self.evals if e.level is not None and e.level <= 2)
        return c

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"evals": [asdict(e) for e in self.evals],
                                    "notes": [asdict(n) for n in self.notes],
                                    "reasons": [asdict(n) for n in self.reasons],
                                    "power": self.power, "sessions": self.sessions,
                                    "steps": [[w, at, st] for (w, at), st in self.steps.items()]},
                                   ensure_ascii=False))


# -- the score the truth deserves --------------------------------------------------------

@dataclass(frozen=True, slots=True)
class TruthResult:
    window: str
    score: MonthScore
    closures: tuple[Closure, ...]
    candidates: Counter[str]        # misbehaviours the host should flag (R6), by kind


def power_facts(device: str, spans: list[list[int | None]], span: Span) -> list[PowerFact]:
    """On spans inside ``span`` and the off stretches between them (truth knows both)."""
    out: list[PowerFact] = []
    cursor = span.start_ms
    for a, b in spans:
        assert a is not None
        end = span.end_ms if b is None else b
        s, e = max(a, span.start_ms), min(end, span.end_ms)
        if e <= s:
            continue
        if s > cursor:
            out.append(PowerFact(device, "off", Span(cursor, s), "truth"))
        out.append(PowerFact(device, "on", Span(s, e), "truth"))
        cursor = e
    if cursor < span.end_ms:
        out.append(PowerFact(device, "off", Span(cursor, span.end_ms), "truth"))
    return out


# Notes that an R6 candidate should answer: the misbehaviours, prompts that never reached a pad
# (pad off or paused), which the host rightly sees as a session without a prompt, and a stuck
# button's phantom press (a candidate to void, R7).
R6_TAGS = ("forget_prompt", "cancel_prompt", "press_twice", "self_rate", "prompt_lost", "phantom_press")


def truth_scores(sc: Scenario, truth: Truth, month: str, *, volume_from_sessions: bool,
                 until_ms: int | None = None, calendar: Calendar | None = None,
                 grace_ms: int | None = None) -> dict[str, TruthResult]:
    """Each window's month from the truth, through the host's pure rules."""
    cal = calendar or Calendar()
    span = month_span(month)
    cut = span.end_ms if until_ms is None else min(until_ms, span.end_ms)
    out: dict[str, TruthResult] = {}
    for idx, w in enumerate(sc.hall.windows, start=1):
        days = [d for d in sc.days() if d.strftime("%Y-%m") == month]
        sessions = [s for d in days for s in work_sessions(w, d, cal)]
        facts = power_facts(sc.device_of(w), truth.power.get(w.number, []), Span(span.start_ms, cut))
        kw = {} if grace_ms is None else {"grace_ms": grace_ms}
        closures = find_closures(idx, sessions, facts, placard=w.placard, until_ms=cut, **kw)  # type: ignore[arg-type]
        evals = [e for e in truth.evals if e.window == w.number and span.start_ms <= e.at_ms < cut]
        volume = None
        if volume_from_sessions:
            volume = sum(1 for _, at in truth.sessions.get(w.number, []) if span.start_ms <= at < cut)
        source = "queue" if volume_from_sessions else "none"
        score = month_score(idx, month, volume=volume, volume_source=source,
                            valid=len(evals), satisfied=sum(e.rating == "satisfied" for e in evals),
                            deductions=[closure_deduction(c) for c in closures])
        cands: Counter[str] = Counter(n.kind for n in truth.notes
                                      if n.window == w.number and n.kind in R6_TAGS
                                      and span.start_ms <= n.at_ms < cut)
        out[w.number] = TruthResult(w.number, score, tuple(closures), cands)
    return out



# -- the national 好差评 statistics the truth deserves (issue 16) ----------------------------------

def is_bad(e: TruthEval) -> bool:
    """差评: level 1-2, or "unsatisfied" from a pad without levels (contract-16)."""
    return e.level <= 2 if e.level is not None else e.rating == "unsatisfied"


def is_content(e: TruthEval) -> bool:
    """满意 for the national 满意率: level 3-5, or "satisfied" without a level."""
    return e.level >= 3 if e.level is not None else e.rating == "satisfied"


@dataclass(frozen=True, slots=True)
class TruthCase:
    """One bad review as the truth knows it: its deadlines from the official calendar
    (simulator.workdays, never the host's calendar) and the steps the management section took."""

    window: str
    at_ms: int
    case: str | None
    callback_due: date
    rectify_due: date
    callback_ms: int | None
    rectify_ms: int | None
    closed_ms: int | None

    def late(self, today: date) -> tuple[bool, bool]:
        """Whether the 回访 / 整改 is (or was done) past its due date."""
        def one(due: date, done_ms: int | None) -> bool:
            return (local(done_ms).date() if done_ms is not None else today) > due
        return one(self.callback_due, self.callback_ms), one(self.rectify_due, self.rectify_ms)

    def overdue(self, today: date) -> bool:
        """Still open with a step not done past its due date."""
        cb, rc = self.late(today)
        undone = (cb and self.callback_ms is None) or (rc and self.rectify_ms is None)
        return self.closed_ms is None and undone

    def name(self) -> str:
        """How a person finds it: its case number, else the moment it was pressed."""
        return self.case or local(self.at_ms).strftime("%m-%d %H:%M:%S")


@dataclass(frozen=True, slots=True)
class TruthNational:
    """One window's month of national statistics (the rates exact; None when nothing to divide by)."""

    window: str
    evaluations: int
    satisfied: int
    bad: int
    called_back: int
    rectified: int
    callback_late: int
    rectify_late: int
    overdue: tuple[TruthCase, ...]

    @property
    def rates(self) -> dict[str, Fraction | None]:
        def rate(a: int, b: int) -> Fraction | None:
            return Fraction(a, b) if b else None
        return {"satisfaction_rate": rate(self.satisfied, self.evaluations),
                "bad_rate": rate(self.bad, self.evaluations),
                "callback_rate": rate(self.called_back, self.bad),
                "rectify_rate": rate(self.rectified, self.bad)}


def truth_cases(truth: Truth, goodbad: GoodBad) -> list[TruthCase]:
    out = []
    for e in truth.evals:
        if not is_bad(e):
            continue
        day = local(e.at_ms).date()
        done = truth.steps.get((e.window, e.at_ms), {})
        out.append(TruthCase(e.window, e.at_ms, e.case, add_working(day, goodbad.callback_days),
                             add_working(day, goodbad.rectify_days), done.get("callback"),
                             done.get("rectify"), done.get("close")))
    return out


def truth_national(sc: Scenario, truth: Truth, month: str, now_ms: int) -> dict[str, TruthNational]:
    """Each window's national statistics of ``month`` as of ``now_ms`` (every evaluation pressed in
    the month counts, as the national platform counts them; bad reviews by the month they were
    pressed in), from the truth alone."""
    span = month_span(month)
    today = local(now_ms).date()
    goodbad = sc.goodbad or GoodBad()
    cases = [c for c in truth_cases(truth, goodbad) if span.start_ms <= c.at_ms < span.end_ms]
    out: dict[str, TruthNational] = {}
    for w in sc.hall.windows:
        evals = [e for e in truth.evals if e.window == w.number and span.start_ms <= e.at_ms < span.end_ms]
        mine = [c for c in cases if c.window == w.number]
        lates = [c.late(today) for c in mine]
        out[w.number] = TruthNational(
            w.number, len(evals), sum(map(is_content, evals)), sum(map(is_bad, evals)),
            sum(c.callback_ms is not None for c in mine), sum(c.rectify_ms is not None for c in mine),
            sum(cb for cb, _ in lates), sum(rc for _, rc in lates),
            tuple(c for c in mine if c.overdue(today)))
    return out

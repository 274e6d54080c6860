"""Procedural-violation candidates (R6) from one window's facts. Pure: no database, no clock.

The system only **flags candidates** with the events behind them; the management section
(管理科) confirms or dismisses each one (host.violations). Four kinds, with their points (R6):

- ``no_prompt`` 未按程序提示评价, 1 point: a service session ended without an evaluation prompt.
- ``refused`` 拒绝评议, 2.5 points: staff cancelled a prompt (``prompt_end`` reason ``cancelled``).
- ``consecutive`` 连续评价, 1 point: a second evaluation in one service session, two
  evaluations closer than the minimum interval with no new session between (where the gap is
  known: not between boots whose time was derived, R10), or a second
  evaluation of one case (办件编号, 一事一评: issue 16), whichever pad or window gave the first.
- ``self_eval`` 自我评价, 1 point: an evaluation while paused, outside working hours, or
  entered by staff.

One R6-style kind is not a staff violation (R7): ``stuck_button`` 按键卡滞误计, 0 points: an
evaluation pressed by a rating button that went down and stuck -- no pad can tell it from a
press, and its ``button_stuck`` fault follows within the detection time. Confirming it voids
that evaluation (R2), with the fault as evidence.

A confirmed ``consecutive`` or ``self_eval`` candidate also voids its evaluation
(``subject_event_id``, R2). Working hours come from the calendar (host.rules.sessions) and
are passed in as spans, so this module stays pure.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import pairwise
from typing import Any, Protocol

from host import labels
from host.rules.types import Span

NO_PROMPT = "no_prompt"
REFUSED = "refused"
CONSECUTIVE = "consecutive"
SELF_EVAL = "self_eval"
STUCK_BUTTON = "stuck_button"
KINDS = (NO_PROMPT, REFUSED, CONSECUTIVE, SELF_EVAL, STUCK_BUTTON)

# R6: points per confirmed instance. Fixed by the source (not marked configurable).
POINTS: Mapping[str, Fraction] = {
    NO_PROMPT: Fraction(1),
    REFUSED: Fraction(5, 2),
    CONSECUTIVE: Fraction(1),
    SELF_EVAL: Fraction(1),
    STUCK_BUTTON: Fraction(0),          # a pad fault, not the staff's doing: it only voids (R2, R7)
}
CHINESE: Mapping[str, str] = {
    NO_PROMPT: "未按程序提示评价",
    REFUSED: "拒绝评议",
    CONSECUTIVE: "连续评价",
    SELF_EVAL: "自我评价",
    STUCK_BUTTON: "按键卡滞误计",
}
# A confirmed candidate of these kinds voids its evaluation (R2, R6).
VOIDING_KINDS = frozenset({CONSECUTIVE, SELF_EVAL, STUCK_BUTTON})

# Why a candidate was flagged (kept with it, shown to the reviewer).
REASON_NO_PROMPT = "session_without_prompt"
REASON_CANCELLED = "prompt_cancelled"
REASON_SAME_SESSION = "same_session"
REASON_SAME_CASE = "same_case"
REASON_MIN_INTERVAL = "min_interval"
REASON_PAUSED = "paused"
REASON_OUTSIDE_HOURS = "outside_hours"
REASON_STAFF_ENTRY = "staff_entry"
REASON_STUCK = "button_stuck"
# Which checks need which inputs: the DB layer withdraws a stale candidate only when the
# check that flagged it actually ran (an outside-hours candidate survives a run without hours).
CHECKS_WITHOUT_HOURS = frozenset({REASON_NO_PROMPT, REASON_CANCELLED, REASON_SAME_SESSION,
                                  REASON_SAME_CASE, REASON_MIN_INTERVAL, REASON_PAUSED, REASON_STAFF_ENTRY,
                                  REASON_STUCK})
ALL_CHECKS = CHECKS_WITHOUT_HOURS | {REASON_OUTSIDE_HOURS}

# R6 "entered by staff": the contract may be extended with optional fields; a pad (or the
# serial bridge of a staff-side keypad) marks such an evaluation with this body field.
STAFF_ENTRY_FIELD = "entered_by"
STAFF_ENTRY_VALUE = "staff"

DEFAULT_MIN_INTERVAL_MS = 20_000        # R6: configurable, default 20 s (= the pad's min_interval_s)
# Staff often close the queue ticket and then press "prompt": a prompt this soon after the
# session ended still belongs to it. Configurable; a reading of R6, not a number from the source.
DEFAULT_PROMPT_AFTER_END_MS = 60_000
# A rating button held longer than 10 s is stuck (firmware/pad/buttons.py STUCK_MS); the pad
# reports ``button_stuck`` at its next loop step after that. A press of that button this long
# before the fault is the button going down (the simulator's idle steps are 10 s apart, hence
# 30 s). A reading of R7, not a number from the source.
DEFAULT_STUCK_DETECT_MS = 30_000
STUCK_FAULT = "button_stuck"           # protocol.spec FAULT_CODES


@dataclass(frozen=True, slots=True)
class ViolationRules:
    """The configurable numbers of R6 (the center's configuration feeds them)."""

    min_interval_ms: int = DEFAULT_MIN_INTERVAL_MS
    prompt_after_end_ms: int = DEFAULT_PROMPT_AFTER_END_MS
    stuck_detect_ms: int = DEFAULT_STUCK_DETECT_MS

    def __post_init__(self) -> None:
        if self.min_interval_ms < 0 or self.prompt_after_end_ms < 0 or self.stuck_detect_ms < 0:
            raise ValueError("R6 intervals must be >= 0 ms")


class EventLike(Protocol):
    """What the rules read of a stored event (host.models.Event satisfies it)."""

    @property
    def id(self) -> int | None: ...
    @property
    def at_ms(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def svc(self) -> str | None: ...
    @property
    def body(self) -> Mapping[Any, Any]: ...


class CaseEvalLike(Protocol):
    """An evaluation with the case it answered (host.models.Event satisfies it)."""

    @property
    def id(self) -> int | None: ...
    @property
    def at_ms(self) -> int: ...
    @property
    def case_no(self) -> str | None: ...


class ServiceLike(Protocol):
    """A queue-system service session (host.models.ServiceSession satisfies it)."""

    @property
    def id(self) -> int | None: ...
    @property
    def ticket(self) -> str: ...
    @property
    def started_ms(self) -> int: ...
    @property
    def ended_ms(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class Candidate:
    """One flagged R6 instance with its evidence.

    ``key`` names it stably across re-detection (idempotent storage). ``subject_event_id``
    is the evaluation a confirmation voids (consecutive, self_eval) or the event the
    candidate is about (the cancelling ``prompt_end``); None for a session without prompt,
    which is identified by ``service_session_id``.
    """

    kind: str
    window_id: int
    at_ms: int
    evidence: tuple[int, ...]
    reasons: tuple[str, ...]
    subject_event_id: int | None = None
    service_session_id: int | None = None
    detail: str = ""

    @property
    def points(self) -> Fraction:
        return POINTS[self.kind]

    @property
    def voids(self) -> bool:
        return self.kind in VOIDING_KINDS

    @property
    def key(self) -> str:
        if self.subject_event_id is not None:
            return f"{self.kind}:event:{self.subject_event_id}"
        return f"{self.kind}:session:{self.service_session_id}"


@dataclass(slots=True)
class _Flags:
    """Reasons and evidence collected for one evaluation before it becomes candidates."""

    reasons: list[str] = field(default_factory=list)
    evidence: set[int] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


def _eid(e: EventLike) -> int:
    if e.id is None:
        raise ValueError("violation rules need stored events (id is None)")
    return e.id


class _Spans:
    """Merged, sorted spans answering "is this moment inside one?" by bisection."""

    def __init__(self, spans: Iterable[Span]) -> None:
        merged: list[list[int]] = []
        for sp in sorted(spans, key=lambda x: x.start_ms):
            if merged and sp.start_ms <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], sp.end_ms)
            elif sp.start_ms < sp.end_ms:
                merged.append([sp.start_ms, sp.end_ms])
        self.starts = [m[0] for m in merged]
        self.ends = [m[1] for m in merged]

    def __contains__(self, at_ms: int) -> bool:
        i = bisect_right(self.starts, at_ms) - 1
        return i >= 0 and at_ms < self.ends[i]


@dataclass(frozen=True, slots=True)
class _Ev:
    """A plain copy of what the rules read of an event (ORM attribute access is slow in loops)."""

    id: int
    at_ms: int
    type: str
    svc: str | None
    body: Mapping[Any, Any]
    case_no: str | None = None
    # Where the time was derived from boot and uptime (R10): that boot, and the uptime. Within
    # one boot uptime is exact; between boots, or against the pad's clock, the gap is unknown.
    boot: tuple[str, int] | None = None
    up_ms: int = 0


def _ordered(events: Iterable[EventLike]) -> list[_Ev]:
    # case_no, time_derived: a row loaded without them (or a two-level pad's) has none.
    plain = [_Ev(_eid(e), e.at_ms, e.type, e.svc, e.body, getattr(e, "case_no", None), _derived_boot(e),
                 getattr(e, "up_ms", 0)) for e in events]
    return sorted(plain, key=lambda e: (e.at_ms, e.id))


def _derived_boot(e: EventLike) -> tuple[str, int] | None:
    if not getattr(e, "time_derived", False):
        return None
    return getattr(e, "device_id", ""), getattr(e, "boot", 0)


def _timed_pairs(evals: list[_Ev]) -> Iterator[tuple[_Ev, _Ev, int]]:
    """Each evaluation with the previous one whose distance in time is known, and that distance.

    On the pad's clock, the previous one on that clock; of a boot whose time was derived
    (R10: the pad never learned the time), the previous one of that boot, by uptime. Across
    them nothing is known: boots dated only by their arrival can overlap on paper.
    """
    scales: dict[tuple[str, int] | None, list[_Ev]] = {}
    for e in evals:
        scales.setdefault(e.boot, []).append(e)
    for boot, group in scales.items():
        if boot is None:
            yield from ((a, b, b.at_ms - a.at_ms) for a, b in pairwise(group))
        else:
            group.sort(key=lambda e: e.up_ms)
            yield from ((a, b, b.up_ms - a.up_ms) for a, b in pairwise(group))


def first_of_cases(evals: Iterable[CaseEvalLike]) -> dict[str, int]:
    """Case number -> id of its first evaluation (earliest, then lowest id): one case, one
    evaluation (一事一评, issue 16). Evaluations without a case are left out."""
    first: dict[str, tuple[int, int]] = {}
    for e in evals:
        if not e.case_no:
            continue
        mine = (e.at_ms, _eid(e))   # type: ignore[arg-type]
        if e.case_no not in first or mine < first[e.case_no]:
            first[e.case_no] = mine
    return {case: eid for case, (_, eid) in first.items()}


def repeated_cases(evals: Iterable[CaseEvalLike], firsts: Mapping[str, int]) -> list[tuple[int, int, str]]:
    """(first id, this id, case) for each evaluation of a case that had an earlier one (``firsts``:
    ``first_of_cases`` over every evaluation of those cases, on any pad). A second evaluation is
    stored all the same (a press is never refused); this only names it as an R6 candidate."""
    out: list[tuple[int, int, str]] = []
    for e in evals:
        first = firsts.get(e.case_no) if e.case_no else None
        if first is not None and first != _eid(e):   # type: ignore[arg-type]
            out.append((first, _eid(e), e.case_no))  # type: ignore[arg-type]
    return out


def find_candidates(
    window_id: int,
    events: Iterable[EventLike],
    *,
    sessions: Sequence[ServiceLike] = (),
    paused: Sequence[Span] = (),
    working: Sequence[Span] | None = None,
    now_ms: int | None = None,
    rules: ViolationRules | None = None,
    case_firsts: Mapping[str, int] | None = None,
    undated: Sequence[Span] = (),
) -> list[Candidate]:
    """Every R6 candidate in one window's facts, ordered by time.

    ``events`` are the window's stored events (R10 attribution already done), ``sessions``
    its queue-system service sessions, ``paused`` the spans its pad was in ``paused`` mode,
    ``working`` its working sessions (None: hours unknown, the outside-hours check is
    skipped). ``now_ms`` keeps a session that ended only just now from being flagged
    before its prompt could arrive. ``case_firsts``: ``first_of_cases`` over every evaluation
    of the cases these events answer, on any window (None: this window's events only).
    ``undated``: spans in which the pad ran boots it could not date (R10): a session there is
    not judged for its prompt, which may lie anywhere in the span.
    """
    rules = rules or ViolationRules()
    ordered = _ordered(events)
    if case_firsts is None:
        case_firsts = first_of_cases([e for e in ordered if e.type == "eval"])
    found = _no_prompt(window_id, ordered, sessions, rules, now_ms, undated)
    found += _refused(window_id, ordered)
    found += _evaluation_candidates(window_id, ordered, sessions, _Spans(paused),
                                    _Spans(working) if working is not None else None, rules, case_firsts)
    found += _stuck_presses(window_id, ordered, rules)
    return sorted(found, key=lambda c: (c.at_ms, c.kind, c.key))


def _stuck_presses(window_id: int, events: list[_Ev], rules: ViolationRules) -> list[Candidate]:
    """按键卡滞误计 (R7, R2): the last press of a button within the detection time before that
    button's ``button_stuck`` fault; the fault's detail names the buttons ("held > 10 s: satisfied")."""
    out: list[Candidate] = []
    evals = [e for e in events if e.type == "eval"]
    for f in events:
        if f.type != "fault" or f.body.get("code") != STUCK_FAULT:
            continue
        named = {b.strip() for b in str(f.body.get("detail", "")).rpartition(":")[2].split(",")}
        for button in sorted(named):
            pressed = [e for e in evals if e.body.get("rating") == button
                       and f.at_ms - rules.stuck_detect_ms <= e.at_ms <= f.at_ms]
            if not pressed:
                continue
            e = pressed[-1]
            why = (f"“{labels.RATING.get(button, button)}”键在评价器报告按键卡滞前 "
                   f"{(f.at_ms - e.at_ms) / 1000:.1f} 秒被按下：可能是按键卡住而非群众评价"
                   "（确认则作废该评价）")
            out.append(Candidate(STUCK_BUTTON, window_id, e.at_ms, (_eid(e), _eid(f)), (REASON_STUCK,),
                                 subject_event_id=_eid(e), detail=why))
    return out


def _no_prompt(window_id: int, events: list[_Ev], sessions: Sequence[ServiceLike],
               rules: ViolationRules, now_ms: int | None, undated: Sequence[Span] = ()) -> list[Candidate]:
    """未按程序提示评价: a service session ended, and no prompt for it was shown (R6)."""
    # Events arrive sorted by time: bisect instead of scanning every prompt per session.
    prompts = [e for e in events if e.type == "prompt"]
    prompt_times = [p.at_ms for p in prompts]
    prompted_svcs = {p.svc for p in prompts}
    evals = [e for e in events if e.type == "eval"]
    eval_times = [e.at_ms for e in evals]
    out: list[Candidate] = []
    for s, ended_ms, last_chance in _unprompted(sessions, prompted_svcs, rules, now_ms):
        if _prompt_unknowable(s, last_chance, undated):
            continue                                  # listed by ``unjudged`` instead
        i = bisect_left(prompt_times, s.started_ms)
        if i < len(prompts) and prompt_times[i] <= last_chance:
            continue                                  # a key prompt during (or just after) the session
        lo, hi = bisect_left(eval_times, s.started_ms), bisect_right(eval_times, ended_ms)
        during = tuple(_eid(e) for e in evals[lo:hi])
        out.append(Candidate(NO_PROMPT, window_id, ended_ms, during, (REASON_NO_PROMPT,),
                             service_session_id=s.id,
                             detail=f"业务号 {s.ticket} 办结时未提示评价"))
    return out


def _unprompted(sessions: Sequence[ServiceLike], prompted_svcs: set[str | None], rules: ViolationRules,
                now_ms: int | None) -> Iterator[tuple[ServiceLike, int, int]]:
    """Ended sessions whose prompt can no longer come, with no prompt naming them: each with its
    end and the last moment a prompt for it would count (a key prompt then still may)."""
    for s in sessions:
        if s.ended_ms is None or s.id is None:
            continue                                  # still being served
        last_chance = s.ended_ms + rules.prompt_after_end_ms
        if now_ms is not None and now_ms < last_chance:
            continue                                  # its prompt may still come
        if s.ticket not in prompted_svcs:
            yield s, s.ended_ms, last_chance


def _prompt_unknowable(s: ServiceLike, last_chance: int, undated: Sequence[Span]) -> bool:
    """The session overlaps a span the pad could not date: its prompt, if any, has no known time."""
    return any(u.start_ms < last_chance and s.started_ms < u.end_ms for u in undated)


def unjudged(events: Sequence[EventLike], sessions: Sequence[ServiceLike], undated: Sequence[Span],
             rules: ViolationRules | None = None, now_ms: int | None = None) -> list[ServiceLike]:
    """The ended sessions ``find_candidates`` leaves unjudged for their prompt (R6) because the
    pad ran boots it could not date then (R10): the management section is told of them (无法核对),
    so a window's fewer no-prompt candidates during a network loss are not read as good conduct."""
    prompted = {e.svc for e in events if e.type == "prompt"}
    left = _unprompted(sessions, prompted, rules or ViolationRules(), now_ms)
    return sorted((s for s, _, last_chance in left if _prompt_unknowable(s, last_chance, undated)),
                  key=lambda s: s.started_ms)


def _refused(window_id: int, events: list[_Ev]) -> list[Candidate]:
    """拒绝评议: staff cancelled the prompt (R6); evidence is the prompt and its cancellation."""
    out: list[Candidate] = []
    last_prompt: dict[str | None, _Ev] = {}
    for e in events:
        if e.type == "prompt":
            last_prompt[e.svc] = e
        elif e.type == "prompt_end" and e.body.get("reason") == "cancelled":
            prompt = last_prompt.get(e.svc)
            evidence = ((_eid(prompt),) if prompt is not None else ()) + (_eid(e),)
            out.append(Candidate(REFUSED, window_id, e.at_ms, evidence, (REASON_CANCELLED,),
                                 subject_event_id=_eid(e),
                                 detail=f"业务号 {e.svc} 的评价提示被工作人员取消"))
    return out


def _evaluation_candidates(window_id: int, events: list[_Ev], sessions: Sequence[ServiceLike],
                           paused: _Spans, working: _Spans | None,
                           rules: ViolationRules, case_firsts: Mapping[str, int]) -> list[Candidate]:
    evals = [e for e in events if e.type == "eval"]
    consecutive: dict[int, _Flags] = {}
    self_eval: dict[int, _Flags] = {}

    # 连续评价 (a): more than one evaluation in one service session: all but the first.
    first_of_session: dict[str, _Ev] = {}
    for e in evals:
        if not e.svc:
            continue
        first = first_of_session.setdefault(e.svc, e)
        if first is not e:
            f = consecutive.setdefault(_eid(e), _Flags())
            f.reasons.append(REASON_SAME_SESSION)
            f.evidence.update((_eid(first), _eid(e)))
            f.notes.append(f"同一业务号 {e.svc} 的第二次评价")

    # 连续评价 (c): a second evaluation of one case (一事一评), whichever pad gave the first.
    for first_id, eid, case in repeated_cases(evals, case_firsts):
        f = consecutive.setdefault(eid, _Flags())
        f.reasons.append(REASON_SAME_CASE)
        f.evidence.update((first_id, eid))
        f.notes.append(f"同一办件 {case} 的第二次评价（第一次：事件 {first_id}）")

    # 连续评价 (b): closer than the minimum interval to the previous one, no new session between.
    tickets = {s.ticket for s in sessions}
    starts = sorted(s.started_ms for s in sessions)
    for prev, cur, gap in _timed_pairs(evals):
        if gap >= rules.min_interval_ms:
            continue                                  # "closer than": exactly the minimum is fine
        if _new_session_between(prev, cur, tickets, starts):
            continue
        f = consecutive.setdefault(_eid(cur), _Flags())
        if REASON_MIN_INTERVAL not in f.reasons:
            f.reasons.append(REASON_MIN_INTERVAL)
        f.evidence.update((_eid(prev), _eid(cur)))
        f.notes.append(f"距上一次评价仅 {gap / 1000:.3f} 秒"
                       f"（最短间隔 {rules.min_interval_ms / 1000:g} 秒）")

    # 自我评价: paused, outside working hours, or entered by staff.
    prompted_in_hours = set()
    if working is not None:
        prompted_in_hours = {e.svc for e in events
                             if e.type == "prompt" and e.svc and e.at_ms in working}
    for e in evals:
        flags = _Flags()
        if e.at_ms in paused:
            flags.reasons.append(REASON_PAUSED)
            flags.notes.append("评价器处于暂停服务时按下")
        # A citizen answering a prompt shown in working hours is not outside them, even if
        # the press lands a minute after closing time.
        if working is not None and e.at_ms not in working and e.svc not in prompted_in_hours:
            flags.reasons.append(REASON_OUTSIDE_HOURS)
            flags.notes.append("工作时间以外")
        if e.body.get(STAFF_ENTRY_FIELD) == STAFF_ENTRY_VALUE:
            flags.reasons.append(REASON_STAFF_ENTRY)
            flags.notes.append("由工作人员录入")
        if flags.reasons:
            flags.evidence.add(_eid(e))
            self_eval[_eid(e)] = flags

    by_id = {_eid(e): e for e in evals}
    out: list[Candidate] = []
    for kind, flagged in ((CONSECUTIVE, consecutive), (SELF_EVAL, self_eval)):
        for eid, f in flagged.items():
            out.append(Candidate(kind, window_id, by_id[eid].at_ms, tuple(sorted(f.evidence)),
                                 tuple(f.reasons), subject_event_id=eid, detail="；".join(f.notes)))
    return out


def _new_session_between(prev: _Ev, cur: _Ev, tickets: set[str], starts: list[int]) -> bool:
    """A new service session began between two evaluations (R6 "no new session between").

    Evidence of one: a queue-system session started in (prev, cur], or the two evaluations
    answer two different queue tickets. Two different pad-made session ids alone are not
    enough: they come from the staff's own prompt key, which is what the interval guards.
    """
    if prev.svc and cur.svc and prev.svc != cur.svc and prev.svc in tickets and cur.svc in tickets:
        return True
    i = bisect_right(starts, prev.at_ms)           # first start after prev
    return i < len(starts) and starts[i] <= cur.at_ms

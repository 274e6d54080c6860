"""The monthly report (R2-R5, R8-R10): facts from the database through the pure rules.

``month_view`` is everything a report shows (each window's score with every component,
its closures with cause and excuse, notes, rankings); ``month_report`` is the list of
``MonthScore``. A closed month (R11) is read from the snapshot stored when it was closed.
A month still running is judged up to the clock's now ("month so far").
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, time, timedelta
from functools import partial

from sqlmodel import Session

from host.clock import Clock, local
from host.rules.calendar import Calendar, DayKind, SummerRange, is_summer
from host.rules.closures import ExcuseSpan, WindowPower, find_closures
from host.rules.month_span import month_span, parse_month
from host.rules.score import closure_deduction, excuse_text, month_score, ranks
from host.rules.sessions import ORDINARY, WindowSchedule, at, sessions_for_day
from host.rules.tenure import excuses_on
from host.rules.types import Closure, Deduction, MonthScore, Span, WorkSession
from host.scoring import decisions, facts
from host.scoring.config import RuleConfig, load_config

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WindowInfo:
    id: int
    number: str
    name: str
    category: str


@dataclass(frozen=True, slots=True)
class WindowResult:
    window: WindowInfo
    score: MonthScore
    closures: tuple[Closure, ...] = ()
    pads: tuple[str, ...] = ()
    closed_days: tuple[date, ...] = ()
    notes: tuple[str, ...] = ()
    rank: int | None = None


@dataclass(frozen=True, slots=True)
class MonthView:
    month: str
    status: str                      # "running" | "ended" (not closed yet) | "closed"
    computed_ms: int
    until_ms: int                    # facts judged up to here (month so far)
    results: tuple[WindowResult, ...]
    assumptions: tuple[str, ...] = ()
    closed: dict | None = None       # {"by", "at_ms", "reason"} of the close in force
    late_events: tuple[dict, ...] = ()
    late_corrections: tuple[dict, ...] = ()   # assignment corrections recorded after the close (R11)
    extra: dict = field(default_factory=dict)


def month_days(month: str) -> list[date]:
    year, mon = parse_month(month)
    day = date(year, mon, 1)
    out = []
    while day.month == mon:
        out.append(day)
        day += timedelta(days=1)
    return out


def day_kinds(calendar: Calendar, days: Sequence[date]) -> dict[date, DayKind]:
    """R5: each day's kind; a day without calendar data raises CalendarMissing (never a guess)."""
    return {d: calendar.kind(d) for d in days}


class SessionPlanner:
    """Working sessions of the month per window schedule, computed once per distinct schedule."""

    def __init__(self, kinds: dict[date, DayKind], summer: dict[int, SummerRange]) -> None:
        self.kinds = kinds
        self.summer = summer
        self._cache: dict[WindowSchedule, list[WorkSession]] = {}

    def closed_days(self, schedule: WindowSchedule) -> tuple[date, ...]:
        if schedule is ORDINARY:
            return ()
        return tuple(d for d in sorted(self.kinds) if schedule.is_closed(d))

    def sessions(self, schedule: WindowSchedule) -> list[WorkSession]:
        if schedule not in self._cache:
            self._cache[schedule] = [s for d, k in sorted(self.kinds.items())
                                     for s in sessions_for_day(d, k, is_summer(d, self.summer), schedule)]
        return self._cache[schedule]


def working_spans(session: Session, window_id: int, month: str,
                  config: RuleConfig | None = None) -> list[Span]:
    """The window's working sessions in ``month`` as spans (R5), e.g. for R6 "outside working hours"."""
    config = config or load_config(session)
    planner = SessionPlanner(day_kinds(config.calendar, month_days(month)), config.summer)
    return [s.span for s in planner.sessions(config.schedule(window_id))]


def _fault_waiver(d: Deduction, faults: Sequence[ExcuseSpan]) -> Deduction:
    """R7: a violation whose moment falls in an IT-confirmed pad fault (already cut to the time
    its pad sat on this window, R10) is waived."""
    if d.waiver is not None or d.at_ms is None:
        return d
    for f in faults:
        if f.span.start_ms <= d.at_ms < f.span.end_ms:
            return replace(d, waiver=excuse_text(f.excuse))
    return d


def compute(session: Session, month: str, clock: Clock,
            window_ids: Collection[int] | None = None) -> MonthView:
    """Judge the month from the facts and decisions as they stand now (ignores a close)."""
    span = month_span(month)
    now = clock.now_ms()
    until = max(span.start_ms, min(span.end_ms, now))
    config = load_config(session)
    days = [d for d in month_days(month) if at(d, time(0)) < until]
    kinds = day_kinds(config.calendar, days)
    planner = SessionPlanner(kinds, config.summer)
    wins = facts.windows(session, span, window_ids)
    ids = [w.id for w in wins if w.id is not None]
    scope = ids if window_ids is not None else None
    tallies = facts.tallies(session, span, scope)
    violating = decisions.windows_with_confirmed(session, span) & set(ids)
    violations: dict[int, list[Deduction]] = {}
    voided: set[int] = set()
    for wid in violating:
        violations[wid], v = decisions.confirmed(session, wid, month)
        voided |= v
    voided_tallies = facts.tallies(session, span, scope, only_ids=voided) if voided else {}
    waived_windows = decisions.windows_with_waivers(session, month) & set(ids)
    volumes = decisions.volumes(session, month, ids)
    power, tenures = facts.power_by_window(session, span, until, scope)
    first_pad = facts.first_pad(session, scope)
    host_down = facts.host_downtime(session, span)
    outages = decisions.network_outages(session, Span(span.start_ms, until)) if until > span.start_ms else []
    results: list[WindowResult] = []
    for w in wins:
        assert w.id is not None
        schedule = config.schedule(w.id)
        sessions = planner.sessions(schedule)
        placard = w.category in config.placard_categories
        facts_w = power.get(w.id) or WindowPower.of([])
        since = first_pad.get(w.id, until)          # never had a pad: always-on not judged yet
        judge = partial(find_closures, w.id, sessions, facts_w, grace_ms=config.grace_ms,
                        host_down=host_down, placard=placard, until_ms=until, since_ms=since)
        # R7 with R10: a pad's fault or outage excuses only while that pad sat on this window.
        window_tenures = tenures.get(w.id, [])
        window_pads = {t.device_id for t in window_tenures}
        window_outages = excuses_on(outages, window_tenures)
        closures = judge(excuses=window_outages)
        window_violations = violations.get(w.id, [])
        if any(c.excuse is None for c in closures) or window_violations:
            faults = excuses_on(decisions.pad_faults(session, window_pads, span), window_tenures)
            if faults:
                closures = judge(excuses=[*faults, *window_outages])
                window_violations = [_fault_waiver(d, faults) for d in window_violations]
        t = tallies.get(w.id, facts.Tally(0, 0))
        vt = voided_tallies.get(w.id, facts.Tally(0, 0))
        volume, source = volumes.get(w.id) or (None, "none")
        lines = sorted([*(closure_deduction(c) for c in closures), *window_violations],
                       key=lambda d: (d.span.start_ms if d.span else d.at_ms or 0, d.kind))
        waivers = decisions.waivers(session, w.id, month) if w.id in waived_windows else None
        score = month_score(w.id, month, volume=volume, volume_source=source, valid=t.valid - vt.valid,
                            satisfied=t.satisfied - vt.satisfied, deductions=lines, waivers=waivers)
        notes = []
        if volume is None:
            notes.append("no volume for this month (import it or connect the queue system): "
                         "standard count not applied (R3)")
        if vt.valid:
            notes.append(f"{vt.valid} evaluation(s) voided by confirmed violations (R2, R6)")
        if w.id not in first_pad:
            notes.append("no pad was ever assigned to this window: always-on (R5) not judged")
        elif first_pad[w.id] > span.start_ms:
            notes.append(f"first pad installed {local(first_pad[w.id]):%Y-%m-%d %H:%M}: always-on (R5) "
                         "judged from then")
        if placard:
            notes.append(f"placard category {w.category}: closures logged, not deducted (R5a)")
        closed_days = planner.closed_days(schedule)
        results.append(WindowResult(WindowInfo(w.id, w.number, w.name, w.category), score, tuple(closures),
                                    tuple(sorted(window_pads)), closed_days, tuple(notes)))
    if window_ids is None:          # a rank compares every window; a subset has none (closed: the snapshot's)
        order = ranks({r.window.id: r.score.final for r in results})
        results = [replace(r, rank=order.get(r.window.id)) for r in results]
    status = "running" if now < span.end_ms else "ended"
    return MonthView(month, status, now, until, tuple(results), _assumptions(config, days))


def _assumptions(config: RuleConfig, days: Sequence[date]) -> tuple[str, ...]:
    """The shipped defaults this month's judgement relied on, to show as assumptions (R5)."""
    out = []
    for year in sorted({d.year for d in days}):
        rng, default = config.summer_range(year)
        if default and any(d in rng for d in days if d.year == year):
            out.append(f"summer schedule {year}: {rng.start:%m-%d}..{rng.end:%m-%d} is the shipped default, "
                       f"an ASSUMPTION (the source gives no range); set it with "
                       f"`evalpad calendar summer {year} START END --by NAME --reason ...` (R5)")
    return tuple(out)


def month_view(session: Session, month: str, clock: Clock,
               window_ids: Collection[int] | None = None) -> MonthView:
    """The month as the report shows it: the closed snapshot if closed (R11), else computed now."""
    from host.scoring import months

    closed = months.closed_action(session, month)
    if closed is None:
        return compute(session, month, clock, window_ids)
    view = months.view_from_snapshot(closed)
    if window_ids is not None:
        view = replace(view, results=tuple(r for r in view.results if r.window.id in set(window_ids)))
    span = month_span(month)
    late = facts.late_events(session, span, closed.at_ms, window_ids)
    corrections = facts.late_corrections(session, month, span, closed.at_ms, window_ids)
    return replace(view, late_events=tuple(_late(e) for e in late), late_corrections=tuple(corrections))


def _late(e: object) -> dict:
    return {"id": e.id, "device_id": e.device_id, "seq": e.seq, "type": e.type,  # type: ignore[attr-defined]
            "at_ms": e.at_ms, "received_ms": e.received_ms, "window_id": e.window_id,  # type: ignore[attr-defined]
            "at_local": local(e.at_ms).isoformat(), "rating": e.rating}  # type: ignore[attr-defined]


def month_report(session: Session, month: str, clock: Clock) -> list[MonthScore]:
    """Every active window's MonthScore for ``month`` (closed: as fed back, R11)."""
    return [r.score for r in month_view(session, month, clock).results]

"""Detect R6 candidates for one window and month from stored facts, idempotently.

Loads the window's events, its pad's paused spans (through the assignment history, R10)
and its queue-system sessions, runs the pure rules (host.rules.violations) and stores
what they find. Running it again adds only what is new; an open candidate the facts no
longer support (a late prompt arrived) is withdrawn, and comes back if they do again.
Reviewed candidates (confirmed, dismissed) are never touched by detection (R12).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import false, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from host import audit
from host.calendar.config import load_config
from host.calendar.hours import working_spans
from host.models.events import BootAnchor, Event
from host.models.fleet import Assignment, Window
from host.models.liveness import ModeInterval
from host.models.review import ViolationCandidate
from host.models.service import ServiceSession
from host.rules import violations as rules
from host.rules.calendar import CalendarMissing
from host.rules.month_span import month_span
from host.rules.types import Span

log = logging.getLogger(__name__)

# Facts just before the month still matter: the previous evaluation for the minimum
# interval, a session that began before midnight. An hour is far more than either needs.
LOOKBEHIND_MS = 3_600_000
# A pad online without NTP is dated from arrival too, late by its network delay (well under a
# second): a boot whose events are dated past the next boot's start by more than this was not
# heard live but later, from the pad's store, and its times are not known (R10).
ARRIVAL_SLACK_MS = 60_000
DETECTOR = "detector"
SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class DetectResult:
    added: int
    withdrawn: int
    restored: int
    total: int          # candidates the rules see now in this window and month


def _paused_spans(session: Session, window_id: int, span: Span) -> list[Span]:
    """When the window's pad showed 暂停服务, clipped to the pad's time on this window (R10)."""
    out: list[Span] = []
    assignments = session.exec(select(Assignment).where(
        Assignment.window_id == window_id, col(Assignment.start_ms) < span.end_ms,
        (col(Assignment.end_ms).is_(None)) | (col(Assignment.end_ms) > span.start_ms))).all()
    for a in assignments:
        a_end = a.end_ms if a.end_ms is not None else span.end_ms
        rows = session.exec(select(ModeInterval).where(
            ModeInterval.device_id == a.device_id, ModeInterval.mode == "paused",
            col(ModeInterval.start_ms) < min(a_end, span.end_ms),
            (col(ModeInterval.end_ms).is_(None)) | (col(ModeInterval.end_ms) > max(a.start_ms, span.start_ms))
        )).all()
        for m in rows:
            m_end = m.end_ms if m.end_ms is not None else span.end_ms
            start, end = max(m.start_ms, a.start_ms), min(m_end, a_end)
            if start < end:
                out.append(Span(start, end))
    return out


def _scope(month: str, within: Span | None) -> Span:
    span = month_span(month)
    if within is None:
        return span
    return Span(max(span.start_ms, within.start_ms), max(min(span.end_ms, within.end_ms),
                                                         max(span.start_ms, within.start_ms)))


def candidates_for(session: Session, window_id: int, month: str, *, working: Sequence[Span] | None,
                   now_ms: int, config: rules.ViolationRules | None = None,
                   within: Span | None = None) -> list[rules.Candidate]:
    """What the rules flag in this window and month now (nothing stored).

    ``within`` narrows it to candidates whose moment lies in that span (the periodic sweep
    looks at the last day only); facts an hour before it are still read (LOOKBEHIND_MS).
    """
    config = config or rules.ViolationRules()
    span = _scope(month, within)
    load = _read_span(span, config)
    events, services = _facts(session, window_id, span, load)
    found = rules.find_candidates(window_id, cast("list[rules.EventLike]", events), sessions=services,
                                  paused=_paused_spans(session, window_id, load),
                                  undated=_undated_spans(session, events, load),
                                  working=working, now_ms=now_ms, rules=config,
                                  case_firsts=_case_firsts(session, {e.case_no for e in events
                                                                     if e.type == "eval" and e.case_no}))
    return [c for c in found if span.start_ms <= c.at_ms < span.end_ms]


def _read_span(span: Span, config: rules.ViolationRules) -> Span:
    """The facts read for candidates in ``span``: an hour before it, and a prompt's last chance after."""
    return Span(span.start_ms - LOOKBEHIND_MS, span.end_ms + config.prompt_after_end_ms)


def _facts(session: Session, window_id: int, span: Span,
           load: Span) -> tuple[list[Any], list[rules.ServiceLike]]:
    """The window's events and queue-system sessions the R6 rules read (plain rows)."""
    # Only the columns the rules read: plain rows load several times faster than entities.
    columns = [col(c) for c in (Event.id, Event.at_ms, Event.type, Event.svc, Event.body, Event.case_no,
                                Event.device_id, Event.boot, Event.up_ms, Event.time_derived)]
    events = session.execute(sa_select(*columns).where(
        col(Event.window_id) == window_id, col(Event.at_ms) >= load.start_ms, col(Event.at_ms) < load.end_ms,
        col(Event.type).in_(("eval", "prompt", "prompt_end", "fault")))).all()
    services = session.exec(select(ServiceSession.id, ServiceSession.ticket, ServiceSession.started_ms,
                                   ServiceSession.ended_ms).where(
        ServiceSession.window_id == window_id, col(ServiceSession.started_ms) >= load.start_ms,
        col(ServiceSession.started_ms) < span.end_ms)).all()
    # Rows carry the same attribute names as the entities (EventLike, ServiceLike).
    return list(events), cast("list[rules.ServiceLike]", services)


@dataclass(frozen=True, slots=True)
class Unjudged:
    """A service session not judged for its prompt (R6, 无法核对): the window's pad ran boots it
    could not date then (R10), so whether a prompt was shown cannot be told."""

    window_id: int
    session_id: int
    ticket: str
    started_ms: int
    ended_ms: int


# How long before the month a boot without a clock may have started and still have events in it.
UNDATED_BOOT_REACH_MS = 31 * 86_400_000


def unjudged_sessions(session: Session, month: str, *, now_ms: int, window_id: int | None = None,
                      config: rules.ViolationRules | None = None) -> list[Unjudged]:
    """The month's sessions ``candidates_for`` leaves unjudged, by window and time (one window's
    with ``window_id``). Only pads with a boot dated without a clock (``BootAnchor.from_clock``
    false) are looked at: usually none."""
    config = config or rules.ViolationRules()
    span = month_span(month)
    load = _read_span(span, config)
    devices = set(session.scalars(sa_select(col(BootAnchor.device_id)).where(
        col(BootAnchor.from_clock) == false(), col(BootAnchor.boot_ms) < load.end_ms,
        col(BootAnchor.boot_ms) >= load.start_ms - UNDATED_BOOT_REACH_MS)))
    if not devices:
        return []
    derived = sa_select(col(Event.window_id)).where(
        col(Event.device_id).in_(sorted(devices)), col(Event.at_ms) >= load.start_ms,
        col(Event.at_ms) < load.end_ms, col(Event.time_derived).is_(True))
    if window_id is not None:
        derived = derived.where(col(Event.window_id) == window_id)
    out: list[Unjudged] = []
    for wid in sorted(w for w in session.scalars(derived.distinct()).all() if w is not None):
        events, services = _facts(session, wid, span, load)
        undated = _undated_spans(session, events, load)
        out += [Unjudged(wid, s.id, s.ticket, s.started_ms, s.ended_ms)  # type: ignore[arg-type]
                for s in rules.unjudged(events, services, undated, config, now_ms)
                if s.ended_ms is not None and span.start_ms <= s.ended_ms < span.end_ms]
    return out


def _undated_spans(session: Session, events: Sequence[Any], load: Span) -> list[Span]:
    """When this window's pad ran boots whose times cannot be known (R10), as the spans they lie in.

    A pad switched on and off during a network loss never learns the time; its events arrive
    with the next boot that gets online, and dating them from uptime and arrival puts them
    after that boot's start, which cannot be (boots are numbered in order). Such a boot lies
    somewhere between the last event dated by the clock in an earlier boot and the start of the
    next boot: whether a service session in that span had its prompt cannot be told.
    """
    ends: dict[tuple[str, int], int] = {}
    for e in events:
        if e.time_derived and e.type in ("prompt", "eval"):
            key = (e.device_id, e.boot)
            ends[key] = max(ends.get(key, e.at_ms), e.at_ms)
    out: list[Span] = []
    for (device_id, boot), end_ms in ends.items():
        next_start = session.scalar(sa_select(func.min(BootAnchor.boot_ms)).where(
            col(BootAnchor.device_id) == device_id, col(BootAnchor.boot) > boot))
        if next_start is None or end_ms <= next_start + ARRIVAL_SLACK_MS:
            continue                           # its times agree with the boots after it
        last_timed = session.scalar(sa_select(func.max(Event.at_ms)).where(
            col(Event.device_id) == device_id, col(Event.boot) < boot, col(Event.time_derived).is_(False)))
        out.append(Span(load.start_ms if last_timed is None else last_timed, next_start))
    return out


def _case_firsts(session: Session, cases: set[str]) -> dict[str, int]:
    """The first evaluation of each case on any pad and window, at any time (一事一评, issue 16)."""
    rows: list[rules.CaseEvalLike] = []
    ordered = sorted(cases)
    for i in range(0, len(ordered), KEYS_PER_QUERY):
        rows += cast("list[rules.CaseEvalLike]", session.execute(
            sa_select(col(Event.id), col(Event.at_ms), col(Event.case_no)).where(
                col(Event.type) == "eval", col(Event.case_no).in_(ordered[i:i + KEYS_PER_QUERY]))).all())
    return rules.first_of_cases(rows)


def detect(session: Session, window_id: int, month: str, *, working: Sequence[Span] | None,
           now_ms: int, config: rules.ViolationRules | None = None,
           within: Span | None = None) -> DetectResult:
    """Store the R6 candidates of one window and month (or the part ``within``); commit.
    Safe to run again."""
    found = candidates_for(session, window_id, month, working=working, now_ms=now_ms, config=config,
                           within=within)
    checks = rules.ALL_CHECKS if working is not None else rules.CHECKS_WITHOUT_HOURS
    span = _scope(month, within)
    stored = {c.key: c for c in session.exec(select(ViolationCandidate).where(
        ViolationCandidate.window_id == window_id, col(ViolationCandidate.at_ms) >= span.start_ms,
        col(ViolationCandidate.at_ms) < span.end_ms, ViolationCandidate.source == DETECTOR)).all()}
    elsewhere = _by_key(session, [c.key for c in found if c.key not in stored])
    added = restored = withdrawn = 0
    # Every read is done above; from here on only changes, which the commit writes in one go.
    # On SQLite the write lock is taken at the first write and held to the commit: a query
    # between two writes (autoflush) would keep the ingest's writer waiting (issue 10).
    with session.no_autoflush:
        for c in found:
            row = stored.get(c.key) or elsewhere.get(c.key)
            if row is None:
                session.add(ViolationCandidate(
                    key=c.key, window_id=window_id, kind=c.kind, at_ms=c.at_ms,
                    subject_event_id=c.subject_event_id, service_session_id=c.service_session_id,
                    evidence=list(c.evidence), reasons=list(c.reasons), detail=c.detail,
                    detected_ms=now_ms))
                added += 1
                continue
            if row.status in ("open", "withdrawn"):
                # Derived data follows the facts while nobody has decided on it yet -- its window
                # too, when a corrected assignment history put its events on another window (R10).
                if row.window_id != window_id:
                    audit.record(session, at_ms=now_ms, actor=SYSTEM, action="violation.reattribute",
                                 subject=f"violation:{row.id}", reason="its events belong to another "
                                 "window (assignment corrected, R10)", key=row.key, before=row.window_id,
                                 after=window_id)
                    row.window_id = window_id
                    session.add(row)
                fresh = (list(c.evidence), list(c.reasons), c.detail, c.at_ms)
                if (list(row.evidence), list(row.reasons), row.detail, row.at_ms) != fresh:
                    row.evidence, row.reasons, row.detail, row.at_ms = fresh
                if row.status == "withdrawn":
                    row.status = "open"
                    session.add(row)
                    restored += 1
                    audit.record(session, at_ms=now_ms, actor=SYSTEM, action="violation.restore",
                                 subject=f"violation:{row.id}", reason="the facts support it again",
                                 key=row.key)
        keys = {c.key for c in found}
        for key, row in stored.items():
            if key in keys or row.status != "open" or not set(row.reasons) <= checks:
                continue
            row.status = "withdrawn"
            withdrawn += 1
            session.add(row)
            audit.record(session, at_ms=now_ms, actor=SYSTEM, action="violation.withdraw",
                         subject=f"violation:{row.id}", reason="the facts no longer support it "
                         "(e.g. a late event arrived)", key=row.key)
    session.commit()
    if added or withdrawn or restored:
        log.info("violations %s window %s: +%d, withdrawn %d, restored %d",
                 month, window_id, added, withdrawn, restored)
    return DetectResult(added=added, withdrawn=withdrawn, restored=restored, total=len(found))


# Keys per query: well under SQLite's bound on parameters of one statement.
KEYS_PER_QUERY = 500


def _by_key(session: Session, keys: list[str]) -> dict[str, ViolationCandidate]:
    out: dict[str, ViolationCandidate] = {}
    for i in range(0, len(keys), KEYS_PER_QUERY):
        chunk = keys[i:i + KEYS_PER_QUERY]
        out.update((r.key, r) for r in session.exec(
            select(ViolationCandidate).where(col(ViolationCandidate.key).in_(chunk))).all())
    return out


@dataclass(frozen=True, slots=True)
class MonthDetection:
    results: dict[int, DetectResult]
    warnings: tuple[str, ...]


def detect_month(session: Session, month: str, *, now_ms: int, window_ids: Sequence[int] | None = None,
                 within: Span | None = None, pace: Callable[[], None] | None = None) -> MonthDetection:
    """Detect for every (or the given) active window of a month, with the center's configuration:
    working hours from the calendar (host.calendar.hours.working_spans) and the configured
    minimum interval (R6). A window whose calendar data is missing is still checked for
    everything but "outside working hours", and the gap is reported, never guessed (R5).
    ``pace`` is called after each window (the background sweep gives way to the ingest there).
    """
    config = load_config(session)
    violation_rules = rules.ViolationRules(min_interval_ms=config.min_interval_ms)
    q = select(Window).where(Window.active == True)  # noqa: E712 (SQL, not Python truth)
    if window_ids is not None:
        q = select(Window).where(col(Window.id).in_(list(window_ids)))
    results: dict[int, DetectResult] = {}
    warnings: list[str] = []
    for w in session.exec(q.order_by(col(Window.id))).all():
        assert w.id is not None
        try:
            working: list[Span] | None = working_spans(session, w.id, month, config)
        except CalendarMissing as exc:
            working = None
            warnings.append(f"window {w.number}: working hours unknown ({exc}); "
                            "'outside working hours' not checked (R5, R6)")
        results[w.id] = detect(session, w.id, month, working=working, now_ms=now_ms, config=violation_rules,
                               within=within)
        if pace is not None:
            pace()
    return MonthDetection(results, tuple(dict.fromkeys(warnings)))

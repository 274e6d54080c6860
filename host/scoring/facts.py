"""Facts of one month from the database, shaped for the pure rules (R2, R5, R10).

``load_month`` reads everything one month's judgement needs (``MonthFacts``: the calendar,
the windows, their counts, power, pads and the people's decisions) in a fixed number of
queries; host.scoring.report judges it without the database. Evaluation counts (N, S) are
summed from the daily counts the database keeps beside the events (host.models.counts: ~30
rows per window, not its events); only the few voided by confirmed violations are counted
from their events. Power intervals are attributed to windows through the assignment history
(R10) and clipped to the month.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import cast

from sqlalchemy import Select, and_, case, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from host.calendar.config import RuleConfig, load_config
from host.calendar.hours import day_kinds, month_days
from host.models.counts import DailyCount
from host.models.events import Event
from host.models.fleet import Assignment, AssignmentCorrection, Window
from host.models.liveness import HostDowntime, PowerInterval
from host.rules.calendar import DayKind
from host.rules.closures import Raw, WindowPower
from host.rules.goodbad import FIVE_LEVEL, LEVELS
from host.rules.month_span import month_span
from host.rules.sessions import at
from host.rules.tenure import PadExcuse, Tenure
from host.rules.types import Deduction, Span
from host.scoring import decisions
from host.scoring.view import WindowInfo

EVAL = "eval"                 # protocol.spec EVENT_TYPES: a citizen's press that counts (R1)
SATISFIED = "satisfied"


NO_LEVELS = (0, 0, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class Tally:
    valid: int
    satisfied: int
    levels: tuple[int, ...] = (0, 0, 0, 0, 0)   # how many had level 1..5 (好差评, issue 16; NO_LEVELS)


def windows(session: Session, span: Span, window_ids: Collection[int] | None = None,
            assigned: Sequence[Assigned] | None = None) -> list[WindowInfo]:
    """The given windows, or every active window plus any retired one that had a pad in ``span``
    (a window retired mid-month still gets its month; ``assigned``: the span's assignments)."""
    q = sa_select(col(Window.id), col(Window.number), col(Window.name), col(Window.category),
                  col(Window.active)).order_by(col(Window.id))
    if window_ids is not None:
        q = q.where(col(Window.id).in_(list(window_ids)))
        return [WindowInfo(cast(int, i), n, name, c) for i, n, name, c, _ in session.connection().execute(q)]
    had_pad = {a[1] for a in (assigned if assigned is not None else assignments(session, span))}
    return [WindowInfo(cast(int, i), n, name, c) for i, n, name, c, active in session.connection().execute(q)
            if active or i in had_pad]


def tallies(session: Session, span: Span, window_ids: Collection[int] | None = None,
            only_ids: Collection[int] | None = None, levels: bool = False) -> dict[int, Tally]:
    """R2: N and S per window for evaluations pressed within ``span`` (R10: at_ms, not arrival),
    and, with ``levels`` (the five-level mode: it costs the query ~2x), how many carried each level."""
    sat = func.sum(case((col(Event.rating) == SATISFIED, 1), else_=0))
    per_level = [func.sum(case((col(Event.level) == k, 1), else_=0)) for k in LEVELS] if levels else []
    q = (select(col(Event.window_id), func.count(), sat, *per_level)
         .where(Event.type == EVAL, col(Event.at_ms) >= span.start_ms, col(Event.at_ms) < span.end_ms,
                col(Event.window_id).is_not(None))
         .group_by(col(Event.window_id)))
    if window_ids is not None:
        q = q.where(col(Event.window_id).in_(list(window_ids)))
    if only_ids is not None:
        q = q.where(col(Event.id).in_(list(only_ids)))
    out: dict[int, Tally] = {}
    for row in session.exec(q).all():
        w, n, s = row[0], row[1], row[2]
        if w is not None:
            by_level = tuple(int(c or 0) for c in list(row)[3:])
            out[int(w)] = Tally(int(n), int(s or 0), by_level or NO_LEVELS)
    return out


def counted(session: Session, month: str, window_ids: Collection[int] | None = None,
            levels: bool = False) -> dict[int, Tally]:
    """R2: N and S per window for evaluations pressed in ``month`` (R10: the day pressed,
    Asia/Shanghai), from the daily counts; the same as ``tallies`` over the month's span, with
    ``levels`` how many carried each level 1..5 (好差评 mode, issue 16)."""
    days = month_days(month)
    per_level = [func.sum(col(c)) for c in (DailyCount.level_1, DailyCount.level_2, DailyCount.level_3,
                                             DailyCount.level_4, DailyCount.level_5)] if levels else []
    q = (sa_select(col(DailyCount.window_id), func.sum(col(DailyCount.evals)),
                   func.sum(col(DailyCount.satisfied)), *per_level)
         .where(col(DailyCount.day) >= days[0], col(DailyCount.day) <= days[-1])
         .group_by(col(DailyCount.window_id)))
    if window_ids is not None:
        q = q.where(col(DailyCount.window_id).in_(list(window_ids)))
    out: dict[int, Tally] = {}
    for w, n, sat, *by_level in session.connection().execute(q).all():
        if n:
            out[int(w)] = Tally(int(n), int(sat), tuple(int(c) for c in by_level) or NO_LEVELS)
    return out


def events_by_id(session: Session, ids: Collection[int]) -> dict[int, Event]:
    """The events behind a deduction (its evidence), by id."""
    if not ids:
        return {}
    rows = session.exec(select(Event).where(col(Event.id).in_(list(ids)))).all()
    return {e.id: e for e in rows if e.id is not None}


def ratings_since(session: Session, since_ms: int) -> list[tuple[int, str | None]]:
    """(pressed at, rating) of every evaluation pressed since ``since_ms`` (R1)."""
    q = select(Event.at_ms, Event.rating).where(Event.type == EVAL, col(Event.at_ms) >= since_ms)
    return list(session.exec(q).all())


def evaluation_count(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(Event).where(Event.type == EVAL)).one())


def first_evaluation_ms(session: Session) -> int | None:
    """When the first evaluation was pressed (the report's trend starts there)."""
    found = session.exec(select(func.min(Event.at_ms)).where(Event.type == EVAL)).one()
    return int(found) if found is not None else None


def late_events(session: Session, span: Span, after_ms: int, window_ids: Collection[int] | None = None,
                limit: int = 1000) -> list[Event]:
    """Events of the month that arrived after ``after_ms`` (a month close, R11)."""
    q = (select(Event).where(col(Event.at_ms) >= span.start_ms, col(Event.at_ms) < span.end_ms,
                             col(Event.received_ms) > after_ms)
         .order_by(col(Event.received_ms), col(Event.id)).limit(limit))
    if window_ids is not None:
        q = q.where(col(Event.window_id).in_(list(window_ids)))
    return list(session.exec(q).all())


def late_corrections(session: Session, month: str, span: Span, closed_at_ms: int,
                     window_ids: Collection[int] | None = None) -> list[dict]:
    """Assignment corrections (host.corrections) recorded after ``month`` was closed that reach it
    (R11): listed like late events, with the events they re-attributed in the month; they
    count only after a reopen."""
    scope = set(window_ids) if window_ids is not None else None
    out = []
    q = select(AssignmentCorrection).where(col(AssignmentCorrection.recorded_ms) > closed_at_ms)
    for c in session.exec(q.order_by(col(AssignmentCorrection.recorded_ms))).all():
        if month not in c.closed_months:
            continue
        events = [{"id": e, "at_ms": at, "from_window_id": a, "to_window_id": b} for e, at, a, b in c.moved
                  if span.start_ms <= at < span.end_ms and (scope is None or a in scope or b in scope)]
        intervals = [i for i in (*c.before, *c.after) if scope is None or i["window_id"] in scope]
        if scope is not None and not events and not intervals:
            continue
        out.append({"id": c.id, "at_ms": c.at_ms, "recorded_ms": c.recorded_ms, "by": c.by,
                    "reason": c.reason, "moves": c.moves, "before": c.before, "after": c.after,
                    "events": events})
    return out


Assigned = tuple[str, int, int, int | None]      # device, window, start_ms, end_ms (None: open)


def assignments(session: Session, span: Span, window_ids: Collection[int] | None = None) -> list[Assigned]:
    """R10: the pads' assignment intervals overlapping ``span``, as plain tuples (2,000 windows)."""
    still = or_(col(Assignment.end_ms).is_(None), col(Assignment.end_ms) > span.start_ms)
    q = sa_select(col(Assignment.device_id), col(Assignment.window_id), col(Assignment.start_ms),
                  col(Assignment.end_ms)).where(col(Assignment.start_ms) < span.end_ms, still)
    if window_ids is not None:
        q = q.where(col(Assignment.window_id).in_(list(window_ids)))
    return [(d, w, a, b) for d, w, a, b in session.connection().execute(q)]


def power_by_window(session: Session, span: Span, until_ms: int, window_ids: Collection[int] | None = None,
                    assigned: Sequence[Assigned] | None = None) -> tuple[dict[int, WindowPower],
                                                                         dict[int, list[Tenure]]]:
    """R10: each pad's power intervals, clipped to when it sat on which window (and to ``until_ms``).

    Returns window -> facts and window -> its pads' tenures in the span (what a pad's fault
    may excuse there, R7). An open interval (``end_ms`` None: still so) lasts until ``until_ms``.
    """
    if assigned is None:
        assigned = assignments(session, span, window_ids)
    devices = sorted({a[0] for a in assigned})
    by_device: dict[str, list[tuple[str, str, int, int | None, str]]] = defaultdict(list)
    if devices:
        # Plain column tuples, not ORM objects: a month of 2,000 pads is ~10^5 intervals.
        q = sa_select(col(PowerInterval.device_id), col(PowerInterval.state), col(PowerInterval.start_ms),
                      col(PowerInterval.end_ms), col(PowerInterval.cause)).where(
            col(PowerInterval.start_ms) < span.end_ms,
            or_(col(PowerInterval.end_ms).is_(None), col(PowerInterval.end_ms) > span.start_ms))
        if window_ids is not None:
            q = q.where(col(PowerInterval.device_id).in_(devices))
        wanted = set(devices)
        for dev, state, start, end, cause in _driver_rows(session, q):
            if dev in wanted:
                by_device[dev].append((dev, state, start, end, cause))
    raw: dict[int, list[Raw]] = defaultdict(list)
    tenures: dict[int, list[Tenure]] = defaultdict(list)
    for dev, wid, a_start, a_end in assigned:
        lo = max(a_start, span.start_ms)
        hi = min(a_end if a_end is not None else until_ms, span.end_ms, until_ms)
        if lo >= hi:
            continue
        tenures[wid].append(Tenure(dev, Span(lo, hi)))
        out = raw[wid]
        for _, state, start, end, cause in by_device.get(dev, ()):
            if start >= lo and end is not None and end <= hi:      # inside: the common case
                out.append((dev, state, start, end, cause))
                continue
            s = start if start > lo else lo
            e = hi if end is None or end > hi else end
            if s < e:
                out.append((dev, state, s, e, cause))
    return {w: WindowPower.of(rows) for w, rows in raw.items()}, tenures


def _driver_rows(session: Session, q: Select) -> list[tuple]:
    """The rows of ``q`` as the database driver returns them (plain tuples): for ~10^5 rows
    SQLAlchemy's Row objects cost more than the query itself. Runs in the session's transaction."""
    conn = session.connection()
    compiled = q.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if compiled.positiontup is not None:
            cursor.execute(str(compiled), [params[k] for k in compiled.positiontup])
        else:
            cursor.execute(str(compiled), params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def host_downtime(session: Session, span: Span) -> list[Span]:
    """R5 d: periods when the host was not running."""
    q = select(HostDowntime).where(and_(col(HostDowntime.start_ms) < span.end_ms,
                                        col(HostDowntime.end_ms) > span.start_ms))
    return [Span(d.start_ms, d.end_ms) for d in session.exec(q).all()]


def first_pad(session: Session, window_ids: Collection[int] | None = None) -> dict[int, int]:
    """When each window first had a pad (R5: before that no pad was ever "last known on")."""
    q = (sa_select(col(Assignment.window_id), func.min(col(Assignment.start_ms)))
         .group_by(col(Assignment.window_id)))
    if window_ids is not None:
        q = q.where(col(Assignment.window_id).in_(list(window_ids)))
    return {int(w): int(t) for w, t in session.connection().execute(q).all()}


@dataclass(frozen=True, slots=True)
class MonthFacts:
    """What the judgement of one month reads (R2-R10), loaded once, judged without the database.

    ``until_ms``: facts count up to here (the month so far, while it runs). Per window id:
    counts, counts voided by confirmed violations (R2, R6), confirmed violations, waivers (R8),
    V (R3), power facts and tenures (R10), first pad (R5). For the whole month: host downtime,
    mass outages, and IT-confirmed pad faults of every pad that sat on a window (R7).
    """

    month: str
    span: Span
    now_ms: int
    until_ms: int
    config: RuleConfig
    kinds: dict[date, DayKind]            # the days judged so far (R5)
    windows: tuple[WindowInfo, ...]
    ranked: bool                          # every window (a rank compares them all), not a subset
    tallies: dict[int, Tally]
    voided: dict[int, Tally]
    violations: dict[int, list[Deduction]]
    waivers: dict[int, dict[str, str]]
    volumes: dict[int, tuple[int | None, str]]
    power: dict[int, WindowPower]
    tenures: dict[int, list[Tenure]]
    first_pad: dict[int, int]
    host_down: list[Span]
    outages: list[PadExcuse]
    pad_faults: list[PadExcuse]


def load_month(session: Session, month: str, now_ms: int,
               window_ids: Collection[int] | None = None) -> MonthFacts:
    """The facts and decisions of ``month`` as they stand at ``now_ms`` (all windows, or these).
    A judged day without calendar data raises CalendarMissing (R5: never a guess)."""
    span = month_span(month)
    until = max(span.start_ms, min(span.end_ms, now_ms))
    config = load_config(session)
    five = config.scoring_mode == FIVE_LEVEL        # only then do the levels' counts matter
    kinds = day_kinds(config.calendar, [d for d in month_days(month) if at(d, time(0)) < until])
    assigned = assignments(session, span, window_ids)
    wins = windows(session, span, window_ids, assigned)
    ids = [w.id for w in wins]
    scope = ids if window_ids is not None else None
    violations: dict[int, list[Deduction]] = {}
    voided: set[int] = set()
    for wid in decisions.windows_with_confirmed(session, span) & set(ids):
        violations[wid], v = decisions.confirmed(session, wid, month)
        voided |= v
    power, tenures = power_by_window(session, span, until, scope, assigned)
    pads = {t.device_id for ts in tenures.values() for t in ts}
    return MonthFacts(
        month=month, span=span, now_ms=now_ms, until_ms=until, config=config, kinds=kinds,
        windows=tuple(wins),
        ranked=window_ids is None,
        tallies=counted(session, month, scope, levels=five),
        voided=tallies(session, span, scope, only_ids=voided, levels=five) if voided else {},
        violations=violations,
        waivers={wid: decisions.waivers(session, wid, month)
                 for wid in decisions.windows_with_waivers(session, month) & set(ids)},
        volumes=decisions.volumes(session, month, ids),
        power=power, tenures=tenures, first_pad=first_pad(session, scope),
        host_down=host_downtime(session, span),
        outages=decisions.network_outages(session, Span(span.start_ms, until)) if until > span.start_ms
        else [],
        pad_faults=decisions.pad_faults(session, pads, span))

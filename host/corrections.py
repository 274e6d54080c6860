"""Assignment corrections: a pad move recorded after the fact, at its real time (R10, R11, R12).

``fleet.assign`` records a move from now on. When IT swapped pads at 11:38 yesterday and
records it today, ``correct`` rewrites the history from that moment, and what depends on it:

- Each named pad sits on its window (or on none) from ``at_ms`` until its next recorded move
  (the end of the interval it was in then, or the start of its next one; open if none).
- A pad the record has on that window at ``at_ms`` is taken off it then, as a live swap
  would. A record that would have to be split in two, or erased (another pad recorded on the
  window later, inside that time), is refused with what to record instead.
- Stored events of the pads from ``at_ms`` on follow the corrected history (``Event.window_id``,
  R10); an event that now falls on no window keeps its row with no window (counted nowhere)
  until a later correction places it. Held-back events (``unassigned``) can then be replayed.
  Power and mode intervals belong to pads, not windows: the report attributes them through
  the history when it runs, so they need no change. The fault log's window follows too.
- A closed month is never changed (R11): its report stays as fed back and lists the
  correction like a late event; reopening the month lets it count.
- Everything is kept (R12): the ``AssignmentCorrection`` row (intervals before and after,
  events moved) and an audit entry with who, when and why.

Open R6 candidates follow on ``settle`` (detection runs again for the windows touched);
confirmed or dismissed ones whose evidence moved are listed for the management section.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from host import audit, fleet
from host.clock import Clock, local
from host.errors import Conflict, Invalid
from host.ingest.replay import replay_for_device
from host.ingest.store import window_at
from host.models.events import Event
from host.models.faults import Fault
from host.models.fleet import Assignment, AssignmentCorrection, Window
from host.models.review import ViolationCandidate
from host.rules.month_span import month_of, month_span
from host.violations import detect_month
from host.violations.closed import month_is_closed
from protocol import spec

log = logging.getLogger(__name__)

ACTION = "assignment.correct"
NONE = "-"                 # "on no window" where a window number is typed
CHUNK = 500                # ids per UPDATE statement


@dataclass(frozen=True, slots=True)
class Move:
    """Pad ``device_id`` moved onto window ``window`` (a number; None: onto no window)."""

    device_id: str
    window: str | None


@dataclass(slots=True)
class _Row:
    """An assignment interval being rewritten; ``id`` None: new."""

    id: int | None
    device_id: str
    window_id: int
    start_ms: int
    end_ms: int | None
    gone: bool = False

    def covers(self, ms: int) -> bool:
        return self.start_ms <= ms and (self.end_ms is None or ms < self.end_ms)

    def overlaps(self, start: int, end: int | None) -> bool:
        return (end is None or self.start_ms < end) and (self.end_ms is None or self.end_ms > start)


@dataclass
class CorrectionResult:
    correction: AssignmentCorrection
    moved: Counter[tuple[str, str]] = field(default_factory=Counter)   # (from, to) window numbers
    unplaced: int = 0              # events now on no window
    review: list[int] = field(default_factory=list)   # decided R6 candidates whose evidence moved
    windows: set[int] = field(default_factory=set)    # windows whose history changed
    preview: bool = False

    @property
    def closed_months(self) -> list[str]:
        return list(self.correction.closed_months)


def parse_moves(pairs: Iterable[str]) -> list[Move]:
    """``PAD=WINDOW`` (``PAD=-``: onto no window) as typed on the CLI."""
    out = []
    for p in pairs:
        pad, sep, win = p.partition("=")
        if not sep or not pad.strip() or not win.strip():
            raise Invalid(f"调动 {p!r} 不是“评价器=窗口”的写法",
                          "写成如 w06=W07（评价器 w06 换到窗口 W07），或 w06=-（撤下）")
        out.append(Move(pad.strip(), None if win.strip() == NONE else win.strip()))
    return out


def moves_text(moves: Iterable[dict]) -> str:
    """``w06=W07, w07=W06`` from stored moves (``-``: onto no window)."""
    return ", ".join(f"{m['device']}={m['window'] or NONE}" for m in moves)


def _t(ms: int | None) -> str:
    return "open" if ms is None else f"{local(ms):%Y-%m-%d %H:%M:%S}"


def _check(session: Session, moves: Sequence[Move], at_ms: int, now: int, reason: str) -> dict[str, Window]:
    if not reason.strip():
        raise Invalid("更正必须写明原因（R12）",
                      "写明实际发生了什么，如“10-20 11:38 换上备用机 w09，w06 送修”")
    if not moves:
        raise Invalid("更正至少要有一次调动",
                      "写出每台评价器和它换到的窗口（撤下不放任何窗口写“-”）")
    if at_ms > now:
        raise Invalid(f"调动时间 {_t(at_ms)} 晚于现在（{_t(now)}）",
                      "填写实际发生的时间；从现在起的调动请用 evalpad device assign")
    pads = Counter(m.device_id for m in moves)
    wins = Counter(m.window for m in moves if m.window is not None)
    if (twice := [p for p, n in pads.items() if n > 1]):
        raise Invalid(f"评价器 {twice[0]} 写了两次", "每台评价器只写一次")
    if (twice := [w for w, n in wins.items() if n > 1]):
        raise Invalid(f"窗口 {twice[0]} 写了两次：一个窗口同一时间不能有两台评价器",
                      "每个窗口只写一次")
    return {w: fleet.get_window(session, w) for w in wins}


def _load(session: Session, devices: Iterable[str], window_ids: Iterable[int], at_ms: int) -> list[_Row]:
    """Every interval of these pads, and every one on these windows from ``at_ms`` on."""
    devices, window_ids = set(devices), set(window_ids)
    q = select(Assignment).where(
        col(Assignment.device_id).in_(devices) | (col(Assignment.window_id).in_(window_ids) & (
            col(Assignment.end_ms).is_(None) | (col(Assignment.end_ms) > at_ms))))
    return [_Row(a.id, a.device_id, a.window_id, a.start_ms, a.end_ms) for a in session.exec(q).all()]


def _plan(rows: list[_Row], moves: Sequence[Move], targets: dict[str, Window], at_ms: int,
          retired: dict[str, int | None], numbers: Callable[[int], str]) -> set[str]:
    """Rewrite ``rows`` in place for the moves; returns the pads taken off a window (displaced)."""
    spans: list[tuple[str, int | None, int | None]] = []        # pad, its span's end, target window id
    for m in moves:
        mine = [r for r in rows if r.device_id == m.device_id and not r.gone]
        cover = next((r for r in mine if r.covers(at_ms)), None)
        target = targets[m.window].id if m.window is not None else None
        if cover is not None and cover.window_id == target:
            raise Conflict(f"评价器 {m.device_id} 在 {_t(at_ms)} 时已在窗口 {m.window} 上"
                           f"（自 {_t(cover.start_ms)} 起）", "无需更正：请核对评价器编号和时间")
        if cover is None and target is None:
            raise Conflict(f"评价器 {m.device_id} 在 {_t(at_ms)} 时不在任何窗口上",
                           "无从撤下；请核对评价器编号和时间")
        later = [r.start_ms for r in mine if r.start_ms > at_ms]
        end = cover.end_ms if cover is not None else (min(later) if later else retired[m.device_id])
        if cover is not None:
            if cover.start_ms < at_ms:
                cover.end_ms = at_ms
            else:
                cover.gone = True
        spans.append((m.device_id, end, target))
    displaced: set[str] = set()
    for pad, end, target in spans:
        if target is None:
            continue
        if end is None and not targets[numbers(target)].active:
            raise Conflict(f"窗口 {numbers(target)} 已停用：评价器 {pad} 现在不能在它上面",
                           "如果评价器后来离开了该窗口，先补记那次调动；否则选一个在用的窗口")
        for r in rows:
            if r.gone or r.window_id != target or r.device_id == pad or not r.overlaps(at_ms, end):
                continue
            if r.start_ms >= at_ms:
                raise Conflict(
                    f"窗口 {numbers(target)} 自 {_t(r.start_ms)} 起记录的是评价器 {r.device_id}，"
                    f"而评价器 {pad} 将从 {_t(at_ms)} 起在该窗口，直到它下一次记录的调动"
                    f"（{_t(end)}）",
                    f"先更正 {r.device_id} 在 {_t(r.start_ms)} 的调动（或在那之前把 {pad} 调离 "
                    f"{numbers(target)}），再记这一次")
            if end is not None and (r.end_ms is None or r.end_ms > end):
                raise Conflict(
                    f"评价器 {r.device_id} 在窗口 {numbers(target)} 上记录到 {_t(r.end_ms)}，晚于"
                    f"评价器 {pad} 下一次记录的调动（{_t(end)}）：这样更正会让 {r.device_id} "
                    f"在 {_t(at_ms)} 离开、{_t(end)} 又回来",
                    f"在同一次更正里写明 {r.device_id} 在 {_t(at_ms)} 去了哪里"
                    f"（如 {r.device_id}={NONE}，或它的窗口），或先更正 {pad} 后来的那次调动")
            r.end_ms = at_ms
            displaced.add(r.device_id)
        rows.append(_Row(None, pad, target, at_ms, end))
    _merge(rows)
    return displaced


def _merge(rows: list[_Row]) -> None:
    """Join a pad's touching intervals on the same window (the corrected one and a later record)."""
    live = sorted((r for r in rows if not r.gone), key=lambda r: (r.device_id, r.start_ms))
    for a, b in pairwise(live):
        if a.gone or b.gone:
            continue
        if a.device_id == b.device_id and a.window_id == b.window_id and a.end_ms == b.start_ms:
            b.start_ms, b.gone = a.start_ms, False
            a.gone = True


def _interval(r: _Row | Assignment, numbers: Callable[[int], str]) -> dict:
    return {"device": r.device_id, "window": numbers(r.window_id), "window_id": r.window_id,
            "start_ms": r.start_ms, "end_ms": r.end_ms}


def _write(session: Session, rows: list[_Row], by: str, reason: str,
           numbers: Callable[[int], str]) -> tuple[list[dict], list[dict]]:
    """Apply the plan: deletes, then updates, then inserts. A start only ever moves to the start of
    a row deleted here and no kept row becomes open, so the unique indexes see no transient clash.
    Returns the intervals as they were (changed or deleted) and as they are now (changed or new)."""
    before: list[dict] = []
    changed: list[tuple[Assignment, _Row]] = []
    for r in rows:
        if r.id is None:
            continue
        a = session.get(Assignment, r.id)
        assert a is not None
        if r.gone:
            before.append(_interval(a, numbers))
            session.delete(a)
        elif (a.start_ms, a.end_ms, a.window_id) != (r.start_ms, r.end_ms, r.window_id):
            before.append(_interval(a, numbers))
            changed.append((a, r))
    session.flush()
    for a, r in changed:
        a.start_ms, a.end_ms, a.window_id = r.start_ms, r.end_ms, r.window_id
        session.add(a)
    session.flush()
    new = [r for r in rows if r.id is None and not r.gone]
    for r in new:
        session.add(Assignment(device_id=r.device_id, window_id=r.window_id, start_ms=r.start_ms,
                               end_ms=r.end_ms, by=by, reason=f"correction: {reason}"[:256]))
    session.flush()
    return before, [_interval(r, numbers) for r in [*(r for _, r in changed), *new]]


Moved = tuple[int, int, int | None, int | None]     # event id, at_ms, from window id, to window id


def _reattribute(session: Session, devices: set[str], at_ms: int) -> list[Moved]:
    """Stored events of ``devices`` from ``at_ms`` on follow the corrected history (R10).
    Returns ``(event id, at_ms, from window, to window)`` for each event that moved."""
    moved: list[Moved] = []
    for dev in sorted(devices):
        history = fleet.assignments(session, device_id=dev)
        rows = session.execute(select(col(Event.id), col(Event.at_ms), col(Event.window_id)).where(
            Event.device_id == dev, col(Event.at_ms) >= at_ms)).all()
        for eid, at, was in rows:
            now = window_at(history, at)
            if now != was:
                moved.append((int(eid), int(at), was, now))
    by_target: dict[int | None, list[int]] = {}
    for eid, _, _, to in moved:
        by_target.setdefault(to, []).append(eid)
    for to, ids in by_target.items():
        for i in range(0, len(ids), CHUNK):
            session.execute(update(Event).where(col(Event.id).in_(ids[i:i + CHUNK])).values(window_id=to))
    return moved


def _refile_faults(session: Session, devices: set[str], at_ms: int) -> None:
    """The fault log's window of a pad's faults from ``at_ms`` on follows the corrected history."""
    for f in session.exec(select(Fault).where(col(Fault.device_id).in_(devices),
                                              col(Fault.started_ms) >= at_ms)).all():
        assert f.device_id is not None
        where = window_at(fleet.assignments(session, device_id=f.device_id), f.started_ms)
        if where != f.window_id:
            f.window_id = where
            session.add(f)


def _months(start_ms: int, end_ms: int) -> list[str]:
    out, cursor = [], start_ms
    while cursor < end_ms:
        m = month_of(cursor)
        out.append(m)
        cursor = month_span(m).end_ms
    return out


def _to_review(session: Session, moved_ids: set[int], windows: set[int], at_ms: int) -> list[int]:
    """Confirmed or dismissed R6 candidates whose evidence events changed window: a person decided
    them on the old attribution, so they are listed for the management section, never changed."""
    if not moved_ids:
        return []
    rows = session.exec(select(ViolationCandidate).where(
        col(ViolationCandidate.window_id).in_(windows), col(ViolationCandidate.at_ms) >= at_ms - 3_600_000,
        col(ViolationCandidate.status).in_(("confirmed", "dismissed")))).all()
    return sorted(c.id for c in rows if c.id is not None and (
        moved_ids & {int(e) for e in c.evidence} or c.subject_event_id in moved_ids))


def correct(session: Session, *, moves: Sequence[Move], at_ms: int, clock: Clock, actor: str, reason: str,
            preview: bool = False) -> CorrectionResult:
    """Record that ``moves`` happened at ``at_ms`` (in the past); commits unless ``preview``.

    Raises Invalid/NotFound/Conflict saying what is wrong and what to record instead.
    """
    now = clock.now_ms()
    reason = reason.strip()
    targets = _check(session, moves, at_ms, now, reason)
    names = {w.id: w.number for w in session.exec(select(Window)).all() if w.id is not None}

    def numbers(wid: int) -> str:
        return names.get(wid, str(wid))

    retired: dict[str, int | None] = {}
    for m in sorted(moves, key=lambda m: m.device_id):        # a fixed order: no deadlock between two
        dev = fleet.lock_device(session, m.device_id)
        if dev.retired_ms is not None and at_ms >= dev.retired_ms:
            raise Conflict(f"评价器 {m.device_id} 已于 {_t(dev.retired_ms)} 停用，早于 {_t(at_ms)}",
                           "停用的评价器不在任何窗口上；请填写停用之前的时间")
        retired[m.device_id] = dev.retired_ms
    target_ids = {w.id for w in targets.values() if w.id is not None}
    rows = _load(session, retired, target_ids, at_ms)
    for other in sorted({r.device_id for r in rows} - set(retired)):
        fleet.lock_device(session, other)
    displaced = _plan(rows, moves, targets, at_ms, retired, numbers)
    before, after = _write(session, rows, actor, reason, numbers)
    pads = set(retired) | displaced
    moved = _reattribute(session, pads, at_ms)
    _refile_faults(session, pads, at_ms)
    touched = {i["window_id"] for i in (*before, *after)}
    ends = [i["end_ms"] for i in (*before, *after)]
    last = now if any(e is None for e in ends) else max([at_ms + 1, *(e for e in ends if e is not None)])
    closed = [m for m in _months(at_ms, max(last, at_ms + 1)) if month_is_closed(session, m)]
    row = AssignmentCorrection(
        at_ms=at_ms, recorded_ms=now, by=actor, reason=reason,
        moves=[{"device": m.device_id, "window": m.window} for m in moves],
        before=before, after=after,
        moved=[list(x) for x in moved], closed_months=closed)
    session.add(row)
    session.flush()
    result = CorrectionResult(row, Counter((numbers(a) if a else NONE, numbers(b) if b else NONE)
                                           for _, _, a, b in moved),
                              unplaced=sum(1 for *_, b in moved if b is None),
                              review=_to_review(session, {x[0] for x in moved}, touched, at_ms),
                              windows=touched, preview=preview)
    audit.record(session, at_ms=now, actor=actor, action=ACTION,
                 subject=",".join(m.device_id for m in moves)[:128],
                 reason=reason, correction=row.id, moved_at_ms=at_ms, moves=row.moves, before=row.before,
                 after=row.after, events_moved=len(moved), closed_months=closed, review=result.review)
    if preview:
        session.rollback()
        row.id = None                    # never stored
        return result
    session.commit()
    session.refresh(row)
    log.info("assignment correction #%s by %s at %s: %s; %d events re-attributed",
             row.id, actor, _t(at_ms), row.moves, len(moved))
    return result


@dataclass(frozen=True, slots=True)
class Settled:
    detected: int          # R6 candidates detection added (or restored, e.g. onto their real window)
    withdrawn: int         # open candidates the corrected facts no longer support
    replayed: int          # held-back events now placed
    warnings: tuple[str, ...] = ()


def settle(engine: Engine, result: CorrectionResult, clock: Clock, *, prefix: str = spec.PREFIX,
           publish: Callable[..., None] | None = None) -> Settled:
    """After a committed correction: detect R6 candidates again in the touched windows' open months,
    and store the moved pads' held-back events that now have a window (replay)."""
    row = result.correction
    added = withdrawn = 0
    warnings: list[str] = []
    now = clock.now_ms()
    with Session(engine) as session:
        for month in _months(row.at_ms, now + 1):
            if month in row.closed_months or not result.windows:
                continue
            done = detect_month(session, month, now_ms=now, window_ids=sorted(result.windows))
            added += sum(r.added + r.restored for r in done.results.values())
            withdrawn += sum(r.withdrawn for r in done.results.values())
            warnings.extend(done.warnings)
    replayed = sum(replay_for_device(engine, m["device"], clock, publish, prefix=prefix)
                   for m in row.moves if m["window"] is not None)
    return Settled(added, withdrawn, replayed, tuple(warnings))


def list_corrections(session: Session, *, device_id: str | None = None,
                     limit: int = 100) -> list[AssignmentCorrection]:
    rows = session.exec(select(AssignmentCorrection).order_by(col(AssignmentCorrection.recorded_ms).desc(),
                                                              col(AssignmentCorrection.id).desc())).all()
    if device_id is not None:
        rows = [r for r in rows if any(m["device"] == device_id for m in r.moves)
                or any(i["device"] == device_id for i in (*r.before, *r.after))]
    return list(rows[:limit])

"""差评工单: every bad review opens a case for its window's department; 回访, 整改 and the
management section's closure are steps with deadlines in working days (host.rules.goodbad),
each audited (R12).

Opening is idempotent (one case per evaluation, ``BadReview.event_id`` unique): the live watch
(host.goodbad.watch) opens cases within seconds and the review sweep (host.faults.sweep) opens
any it missed over its look-back. Reasons come from the pad's ``reason`` event, which names the
evaluation it explains by ``(device_id, body["of"])`` (contract-16).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_
from sqlmodel import Session, col, select

from host.audit import record
from host.calendar.config import RuleConfig
from host.clock import Clock, local
from host.errors import Conflict, Invalid, NotFound
from host.models.events import Event
from host.models.fleet import Window
from host.models.goodbad import BadReview
from host.rules.calendar import CalendarMissing
from host.rules.goodbad import BAD_LEVELS, REASONS, add_working_days, is_bad_review, is_late

log = logging.getLogger(__name__)

EVAL, REASON = "eval", "reason"
OPEN, CALLED_BACK, RECTIFIED, CLOSED = "open", "called_back", "rectified", "closed"
SYSTEM = "system"
# A reason follows its evaluation within this many of the pad's events (a timeout on the pad).
REASON_SEQ_SPAN = 50
MAX_TEXT = 2000
# The sweep's catch-up commits this many cases at a time (~0.4 s of write lock on SQLite here,
# bench/goodbad_bench.py), so a day's backlog never holds up the ingest for long.
CHUNK = 200


class CaseError(Invalid):
    """A step the case cannot take now; the message says what to do."""


def _bad_filter():  # type: ignore[no-untyped-def]
    """SQL for a bad review (host.rules.goodbad.is_bad_review)."""
    return or_(
        col(Event.level).in_(sorted(BAD_LEVELS)),
        (col(Event.level).is_(None)) & (col(Event.rating) == "unsatisfied"),
    )


def due_dates(config: RuleConfig, at_ms: int) -> tuple[date | None, date | None]:
    """回访 and 整改 due dates of a bad review pressed at ``at_ms``; None while the calendar lacks
    the days (R5: never a guess; the sweep fills them once it has them)."""
    day = local(at_ms).date()
    out: list[date | None] = []
    for n in (config.callback_days, config.rectify_days):
        try:
            out.append(add_working_days(day, n, config.calendar.is_working_day))
        except CalendarMissing:
            out.append(None)
    return out[0], out[1]


def open_cases(session: Session, config: RuleConfig, events: Iterable[Event], now_ms: int) -> list[BadReview]:
    """Open a case for each bad review among ``events`` that has none yet; flushes (the caller commits)."""
    bad = [
        e
        for e in events
        if e.type == EVAL
        and e.window_id is not None
        and e.id is not None
        and is_bad_review(e.rating, e.level)
    ]
    if not bad:
        return []
    have = set(
        session.exec(select(BadReview.event_id).where(col(BadReview.event_id).in_([e.id for e in bad]))).all()
    )
    departments = {
        w.id: w.department
        for w in session.exec(select(Window).where(col(Window.id).in_({e.window_id for e in bad}))).all()
    }
    opened: list[tuple[BadReview, Event]] = []
    dues: dict[date, tuple[date | None, date | None]] = {}     # one calendar walk per day pressed
    for e in bad:
        if e.id in have:
            continue
        assert e.id is not None and e.window_id is not None
        day = local(e.at_ms).date()
        if day not in dues:
            dues[day] = due_dates(config, e.at_ms)
        callback_due, rectify_due = dues[day]
        case = BadReview(event_id=e.id, window_id=e.window_id, department=departments.get(e.window_id, ""),
                         device_id=e.device_id, seq=e.seq, at_ms=e.at_ms, rating=e.rating, level=e.level,
                         case_no=e.case_no, item=e.item, opened_ms=now_ms, callback_due=callback_due,
                         rectify_due=rectify_due)
        session.add(case)
        have.add(e.id)
        opened.append((case, e))
    if not opened:
        return []
    session.flush()                                            # the cases' ids, for the audit
    for case, e in opened:
        record(session, at_ms=now_ms, actor=SYSTEM, action="badreview.open", subject=str(case.id),
               event_id=e.id, window_id=e.window_id, level=e.level, rating=e.rating,
               callback_due=str(case.callback_due), rectify_due=str(case.rectify_due))
    cases = [c for c, _ in opened]
    attach_reasons(session, _reasons_for(session, cases), now_ms, cases)
    return cases


def _reasons_for(session: Session, cases: list[BadReview]) -> list[Event]:
    """The ``reason`` events that may explain ``cases`` (within REASON_SEQ_SPAN of their pads' seqs)."""
    if not cases:
        return []
    lo, hi = min(c.seq for c in cases), max(c.seq for c in cases) + REASON_SEQ_SPAN
    return list(session.exec(select(Event).where(
        Event.type == REASON, col(Event.device_id).in_({c.device_id for c in cases}),
        col(Event.at_ms) >= min(c.at_ms for c in cases), col(Event.seq) > lo, col(Event.seq) <= hi)).all())


def attach_reasons(session: Session, reason_events: Iterable[Event], now_ms: int,
                   known: Iterable[BadReview] = ()) -> int:
    """Put each ``reason`` event's reasons on the case of the evaluation it names (``known``: cases
    just opened, looked up without a query); flushes."""
    wanted = [(r, of) for r in reason_events
              if r.type == REASON and isinstance(r.body, dict) and isinstance(of := r.body.get("of"), int)]
    by_eval = {(c.device_id, c.seq): c for c in known}
    missing = {(r.device_id, of) for r, of in wanted} - set(by_eval)
    if missing:
        rows = session.exec(select(BadReview).where(col(BadReview.device_id).in_({d for d, _ in missing}),
                                                    col(BadReview.seq).in_({q for _, q in missing})))
        by_eval.update({(c.device_id, c.seq): c for c in rows.all()})
    n = 0
    for r, of in wanted:
        case = by_eval.get((r.device_id, of))
        if case is None or case.reason_event_id is not None:
            continue
        case.reasons = [x for x in r.body.get("reasons", []) if x in REASONS]
        case.reason_event_id = r.id
        session.add(case)
        record(session, at_ms=now_ms, actor=SYSTEM, action="badreview.reasons", subject=str(case.id),
               reasons=case.reasons, event_id=r.id)
        n += 1
    return n


def _no_pause() -> None:
    pass


def open_since(session: Session, config: RuleConfig, since_ms: int, now_ms: int,
               pace: Callable[[], None] = _no_pause) -> int:
    """The sweep's catch-up: cases for bad reviews received since ``since_ms``, reasons attached,
    and due dates the calendar could not give before. Commits every CHUNK cases (a short write
    lock each: the ingest goes on between them), ``pace`` between chunks."""
    # Only what has no case yet (an anti-join): a quiet minute reads next to nothing.
    missing = (
        select(col(Event.id))
        .join(BadReview, col(BadReview.event_id) == Event.id, isouter=True)
        .where(col(Event.received_ms) >= since_ms, Event.type == EVAL, col(Event.window_id).is_not(None),
               _bad_filter(), col(BadReview.id).is_(None))
        .order_by(col(Event.id))
    )
    ids = [int(i) for i in session.exec(missing).all() if i is not None]
    opened = 0
    for k in range(0, len(ids), CHUNK):
        events = session.exec(select(Event).where(col(Event.id).in_(ids[k:k + CHUNK]))).all()
        opened += len(open_cases(session, config, events, now_ms))
        session.commit()
        pace()
    unattached = (
        select(Event)
        .join(BadReview, col(BadReview.reason_event_id) == Event.id, isouter=True)
        .where(col(Event.received_ms) >= since_ms, Event.type == REASON, col(BadReview.id).is_(None))
    )
    attach_reasons(session, list(session.exec(unattached).all()), now_ms)
    fill_due_dates(session, config, now_ms)
    session.commit()
    return opened


def fill_due_dates(session: Session, config: RuleConfig, now_ms: int) -> int:
    n = 0
    for c in session.exec(
        select(BadReview).where(
            or_(col(BadReview.callback_due).is_(None), col(BadReview.rectify_due).is_(None)),
            BadReview.status != CLOSED,
        )
    ).all():
        cb, rc = due_dates(config, c.at_ms)
        if (cb, rc) == (c.callback_due, c.rectify_due):
            continue
        c.callback_due, c.rectify_due = cb, rc
        session.add(c)
        record(
            session,
            at_ms=now_ms,
            actor=SYSTEM,
            action="badreview.due",
            subject=str(c.id),
            callback_due=str(cb),
            rectify_due=str(rc),
        )
        n += 1
    return n


# -- the steps (each a decision: written, audited and committed here) -----------------------------


def _late(due: date | None, now_ms: int) -> bool:
    today = local(now_ms).date()
    return is_late(due, today, today)


def get_case(session: Session, case_id: int) -> BadReview:
    case = session.get(BadReview, case_id)
    if case is None:
        raise NotFound(f"没有编号为 {case_id} 的差评工单",
                       "请从差评工单列表中选择（管理科 · 好差评，或 /api/v1/badreviews）")
    return case


def _text(what: str, text: str) -> str:
    text = text.strip()
    if not text:
        raise CaseError(f"{what}是空的", f"请填写{what}（R12：每一步都要写明做了什么）")
    return text[:MAX_TEXT]


def _need(by: str) -> None:
    if not by.strip():
        raise CaseError("没有写明办理人", "请登录后操作，或用 --by 姓名")


def call_back(session: Session, clock: Clock, case_id: int, *, outcome: str, by: str) -> BadReview:
    """回访: the citizen was called back; ``outcome`` says what they said."""
    _need(by)
    case = get_case(session, case_id)
    if case.callback_ms is not None:
        raise Conflict(
            f"差评 {case_id} 已由 {case.callback_by} 回访过", "如有补充，请添加备注作为佐证"
        )
    if case.status == CLOSED:
        raise Conflict(f"差评 {case_id} 已结案", "无需再登记")
    now = clock.now_ms()
    case.callback_ms, case.callback_by, case.callback_outcome = now, by, _text("回访结果", outcome)
    if case.status == OPEN:
        case.status = CALLED_BACK
    session.add(case)
    record(
        session,
        at_ms=now,
        actor=by,
        action="badreview.callback",
        subject=str(case_id),
        reason=case.callback_outcome,
        late=_late(case.callback_due, now),
    )
    session.commit()
    return case


def rectify(session: Session, clock: Clock, case_id: int, *, action: str, by: str) -> BadReview:
    """整改: what the window's department changed."""
    _need(by)
    case = get_case(session, case_id)
    if case.rectify_ms is not None:
        raise Conflict(
            f"差评 {case_id} 已由 {case.rectify_by} 登记过整改",
            "如有补充，请添加备注作为佐证",
        )
    if case.status == CLOSED:
        raise Conflict(f"差评 {case_id} 已结案", "无需再登记")
    now = clock.now_ms()
    case.rectify_ms, case.rectify_by, case.rectify_action = now, by, _text("整改措施", action)
    case.status = RECTIFIED
    session.add(case)
    record(
        session,
        at_ms=now,
        actor=by,
        action="badreview.rectify",
        subject=str(case_id),
        reason=case.rectify_action,
        late=_late(case.rectify_due, now),
    )
    session.commit()
    return case


def add_evidence(session: Session, clock: Clock, case_id: int, *, text: str, by: str) -> BadReview:
    """A note (a complaint record, a recording's reference, what the staff said) on the case."""
    _need(by)
    case = get_case(session, case_id)
    now = clock.now_ms()
    said = _text("备注", text)
    case.evidence = [*case.evidence, {"at_ms": now, "by": by, "text": said}]
    session.add(case)
    record(session, at_ms=now, actor=by, action="badreview.evidence", subject=str(case_id), reason=said)
    session.commit()
    return case


def close_case(session: Session, clock: Clock, case_id: int, *, note: str, by: str) -> BadReview:
    """结案 by the management section, once called back and rectified."""
    _need(by)
    case = get_case(session, case_id)
    if case.status == CLOSED:
        raise Conflict(f"差评 {case_id} 已结案", "无需再操作")
    if case.callback_ms is None or case.rectify_ms is None:
        missing = "回访" if case.callback_ms is None else "整改"
        raise CaseError(f"差评 {case_id} 还没有{missing}", f"请先登记{missing}，再结案")
    now = clock.now_ms()
    case.closed_ms, case.closed_by, case.close_note, case.status = now, by, _text("结案说明", note), CLOSED
    session.add(case)
    record(
        session, at_ms=now, actor=by, action="badreview.close", subject=str(case_id), reason=case.close_note
    )
    session.commit()
    return case


# -- reading -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lateness:
    callback: bool
    rectify: bool

    @property
    def any(self) -> bool:
        return self.callback or self.rectify


def lateness(case: BadReview, today: date) -> Lateness:
    """Whether each step is (or was done) past its due date."""
    cb = local(case.callback_ms).date() if case.callback_ms is not None else None
    rc = local(case.rectify_ms).date() if case.rectify_ms is not None else None
    return Lateness(is_late(case.callback_due, cb, today), is_late(case.rectify_due, rc, today))


def list_cases(
    session: Session,
    *,
    window_id: int | None = None,
    status: str | None = None,
    since_ms: int | None = None,
    until_ms: int | None = None,
    limit: int = 500,
) -> list[BadReview]:
    q = select(BadReview).order_by(col(BadReview.at_ms).desc(), col(BadReview.id).desc())
    if window_id is not None:
        q = q.where(BadReview.window_id == window_id)
    if status is not None:
        q = q.where(BadReview.status == status)
    if since_ms is not None:
        q = q.where(col(BadReview.at_ms) >= since_ms)
    if until_ms is not None:
        q = q.where(col(BadReview.at_ms) < until_ms)
    return list(session.exec(q.limit(limit)).all())


def unfinished(session: Session, window_id: int) -> list[BadReview]:
    """A window's cases not yet closed, oldest first (what its staff still have to act on)."""
    q = select(BadReview).where(BadReview.window_id == window_id, BadReview.status != CLOSED)
    return list(session.exec(q.order_by(col(BadReview.at_ms), col(BadReview.id))).all())


def overdue_cases(session: Session, now_ms: int, window_id: int | None = None) -> list[BadReview]:
    """Open cases whose 回访 or 整改 is past its due date and not done."""
    today = local(now_ms).date()
    q = select(BadReview).where(
        BadReview.status != CLOSED,
        or_(
            (col(BadReview.callback_ms).is_(None)) & (col(BadReview.callback_due) < today),
            (col(BadReview.rectify_ms).is_(None)) & (col(BadReview.rectify_due) < today),
        ),
    )
    if window_id is not None:
        q = q.where(BadReview.window_id == window_id)
    return list(session.exec(q.order_by(col(BadReview.at_ms))).all())

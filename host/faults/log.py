"""The repair log's lifecycle (报修记录, R7): open -> acknowledged -> resolved, with a verdict.

Every change writes an AuditEntry (R12). While a fault is not resolved, a repeat of the
same problem on the same pad (same ``device_id`` and ``code``) updates it instead of
opening another entry.
"""

from __future__ import annotations

import logging

from sqlmodel import Session, col, select

from host import audit, labels
from host.clock import local
from host.errors import Conflict, Invalid, NotFound
from host.models.faults import Fault, FaultEvidence
from host.models.fleet import Assignment, Device, Window

log = logging.getLogger(__name__)

SOURCES = ("pad", "host", "staff")
VERDICTS = ("pad_fault", "network", "power", "staff_caused", "no_fault_found")
VERDICT_CHINESE = labels.FAULT_VERDICT
OPEN, ACKNOWLEDGED, RESOLVED = "open", "acknowledged", "resolved"
STATUS_CHINESE = labels.FAULT_STATUS
STAFF_REPORT = "staff_report"     # code of a fault a person reported
SYSTEM = "system"


def get_fault(session: Session, fault_id: int) -> Fault:
    row = session.get(Fault, fault_id)
    if row is None:
        raise NotFound(f"故障记录 {fault_id} 不存在", "核对编号；查看故障记录：evalpad faults list")
    return row


def open_fault(session: Session, *, source: str, code: str,
               at_ms: int, now_ms: int, by: str = SYSTEM, device_id: str | None = None,
               window_id: int | None = None, detail: str = "", event_id: int | None = None,
               interval_id: int | None = None) -> tuple[Fault, bool]:
    """Open a fault, or update the unresolved one of the same pad and code (a repeat).

    Returns ``(fault, opened)``. Flushes, does not commit (the caller commits with the
    rest of its change). ``event_id``/``interval_id`` link the fact that caused it.
    """
    if source not in SOURCES:
        raise Invalid(f"故障来源 {source!r} 不对", "来源只能是："
                      + "、".join(f"{s}（{labels.FAULT_SOURCE[s]}）" for s in SOURCES))
    row = None
    if device_id is not None:
        row = session.exec(select(Fault).where(
            Fault.device_id == device_id, Fault.code == code, Fault.status != RESOLVED)
            .order_by(col(Fault.id).desc())).first()
    opened = row is None
    if row is None:
        row = Fault(source=source, device_id=device_id, window_id=window_id, code=code, detail=detail,
                    started_ms=at_ms, last_seen_ms=at_ms, opened_ms=now_ms, opened_by=by)
        session.add(row)
        session.flush()
        audit.record(session, at_ms=now_ms, actor=by, action="fault.open", subject=f"fault:{row.id}",
                     reason=detail, source=source, code=code, device_id=device_id, window_id=window_id)
    else:
        row.repeats += 1
        row.last_seen_ms = max(row.last_seen_ms, at_ms)
        row.cleared_ms = None                 # it is back: the fault lasts until the next clear
        if detail and detail not in row.detail:
            row.detail = f"{row.detail}\n{detail}".strip()
        if row.window_id is None:
            row.window_id = window_id
        session.add(row)
        audit.record(session, at_ms=now_ms, actor=by, action="fault.repeat", subject=f"fault:{row.id}",
                     reason=detail, repeats=row.repeats)
    _link(session, row, event_id=event_id, interval_id=interval_id)
    return row, opened


def _link(session: Session, row: Fault, *, event_id: int | None = None,
          interval_id: int | None = None) -> None:
    if event_id is None and interval_id is None:
        return
    assert row.id is not None
    session.add(FaultEvidence(fault_id=row.id, event_id=event_id, interval_id=interval_id))
    session.flush()


def window_of(session: Session, device_id: str, at_ms: int) -> int | None:
    """The window the pad sat on at ``at_ms`` (R10)."""
    a = session.exec(select(Assignment).where(
        Assignment.device_id == device_id, col(Assignment.start_ms) <= at_ms,
        (col(Assignment.end_ms).is_(None)) | (col(Assignment.end_ms) > at_ms))).first()
    return a.window_id if a is not None else None


def pad_of(session: Session, window_id: int, at_ms: int) -> str | None:
    """The pad on the window at ``at_ms`` (R10)."""
    a = session.exec(select(Assignment).where(
        Assignment.window_id == window_id, col(Assignment.start_ms) <= at_ms,
        (col(Assignment.end_ms).is_(None)) | (col(Assignment.end_ms) > at_ms))).first()
    return a.device_id if a is not None else None


def report_fault(session: Session, *, by: str, detail: str, now_ms: int, device_id: str | None = None,
                 window_id: int | None = None, started_ms: int | None = None,
                 code: str = STAFF_REPORT) -> Fault:
    """A person reports a problem (web page, API, CLI). Name the pad or its window; commits."""
    if not detail.strip():
        raise Invalid("报修必须写明故障情况", "写明哪里坏了，如“满意键按不下去”")
    if device_id is None and window_id is None:
        raise Invalid("报修必须写明是哪台评价器或哪个窗口", "填写评价器编号（device_id）或窗口（window_id）")
    if window_id is not None and session.get(Window, window_id) is None:
        raise NotFound(f"窗口 {window_id} 不存在", "核对窗口后重新填写")
    if device_id is not None and session.get(Device, device_id) is None:
        raise NotFound(f"评价器 {device_id} 尚未登记", "核对评价器标签上的编号")
    at = started_ms if started_ms is not None else now_ms
    if started_ms is not None and started_ms > now_ms:
        raise Invalid("故障开始时间不能晚于现在", "填写故障实际开始的时间，或不填")
    if device_id is None and window_id is not None:
        device_id = pad_of(session, window_id, at)
    if window_id is None and device_id is not None:
        window_id = window_of(session, device_id, at)
    row, _ = open_fault(session, source="staff", code=code, at_ms=at, now_ms=now_ms, by=by,
                        device_id=device_id, window_id=window_id, detail=detail.strip())
    session.commit()
    session.refresh(row)
    return row


def acknowledge(session: Session, fault_id: int, *, by: str, now_ms: int, assignee: str | None = None,
                note: str = "") -> Fault:
    """IT takes the fault on (open -> acknowledged), naming who repairs it; commits."""
    row = get_fault(session, fault_id)
    if row.status != OPEN:
        status = labels.FAULT_STATUS.get(row.status, row.status)
        raise Conflict(f"故障记录 {fault_id} 是“{status}”，不是待处理",
                       "只有待处理的故障才能受理")
    row.status, row.acknowledged_ms, row.acknowledged_by = ACKNOWLEDGED, now_ms, by
    row.assignee = assignee or by
    if note.strip():
        row.repair_notes = _append(row.repair_notes, now_ms, by, note)
    session.add(row)
    audit.record(session, at_ms=now_ms, actor=by, action="fault.acknowledge", subject=f"fault:{fault_id}",
                 reason=note, assignee=row.assignee)
    session.commit()
    session.refresh(row)
    return row


def resolve(session: Session, fault_id: int, *, by: str, verdict: str, notes: str, now_ms: int,
            cleared_ms: int | None = None) -> Fault:
    """IT closes the fault with a verdict and repair notes (acknowledged -> resolved); commits.

    ``cleared_ms`` is when the problem actually ended, if earlier than now (default: the
    pad's own clear, else now). A ``pad_fault`` verdict waives what it overlaps (R7).
    """
    if verdict not in VERDICTS:
        raise Invalid(f"处理结论 {verdict!r} 不对", "结论只能是："
                      + "、".join(f"{v}（{labels.FAULT_VERDICT[v]}）" for v in VERDICTS))
    if not notes.strip():
        raise Invalid("修复故障必须填写维修记录", "写明查到了什么问题、做了什么处理")
    row = get_fault(session, fault_id)
    if row.status == OPEN:
        raise Conflict(f"故障记录 {fault_id} 还是待处理",
                       f"请先受理（evalpad faults ack {fault_id}），再填修复结果")
    if row.status == RESOLVED:
        raise Conflict(f"故障记录 {fault_id} 已修复",
                       "要改处理结论，请用“更改结论”（reclassify）并写明原因")
    if cleared_ms is not None and not row.started_ms <= cleared_ms <= now_ms:
        raise Invalid("故障结束时间必须在开始时间和现在之间", "填写故障实际结束的时间")
    row.status, row.resolved_ms, row.resolved_by, row.verdict = RESOLVED, now_ms, by, verdict
    if cleared_ms is not None:
        row.cleared_ms = cleared_ms
    elif row.cleared_ms is None:
        row.cleared_ms = now_ms
    row.repair_notes = _append(row.repair_notes, now_ms, by, notes)
    session.add(row)
    audit.record(session, at_ms=now_ms, actor=by, action="fault.resolve", subject=f"fault:{fault_id}",
                 reason=notes, verdict=verdict, cleared_ms=row.cleared_ms)
    session.commit()
    session.refresh(row)
    return row


def reclassify(session: Session, fault_id: int, *, by: str, verdict: str, reason: str, now_ms: int) -> Fault:
    """Correct a resolved fault's verdict (it changes which deductions are waived, R7); commits."""
    if verdict not in VERDICTS:
        raise Invalid(f"处理结论 {verdict!r} 不对", "结论只能是："
                      + "、".join(f"{v}（{labels.FAULT_VERDICT[v]}）" for v in VERDICTS))
    if not reason.strip():
        raise Invalid("更改处理结论必须写明原因（R12）", "写明为什么要改结论")
    row = get_fault(session, fault_id)
    if row.status != RESOLVED:
        raise Conflict(f"故障记录 {fault_id} 还没有修复", "请直接在修复时填写处理结论")
    before, row.verdict = row.verdict, verdict
    session.add(row)
    audit.record(session, at_ms=now_ms, actor=by, action="fault.reclassify", subject=f"fault:{fault_id}",
                 reason=reason, before=before, after=verdict)
    session.commit()
    session.refresh(row)
    return row


def _append(notes: str, now_ms: int, by: str, text: str) -> str:
    line = f"[{local(now_ms):%Y-%m-%d %H:%M} {by}] {text.strip()}"
    return f"{notes}\n{line}" if notes else line


def list_faults(session: Session, *, status: str | None = None, device_id: str | None = None,
                window_id: int | None = None, since_ms: int | None = None,
                until_ms: int | None = None) -> list[Fault]:
    q = select(Fault)
    if status is not None:
        q = q.where(Fault.status == status)
    if device_id is not None:
        q = q.where(Fault.device_id == device_id)
    if window_id is not None:
        q = q.where(Fault.window_id == window_id)
    if since_ms is not None:
        q = q.where((col(Fault.cleared_ms).is_(None)) | (col(Fault.cleared_ms) > since_ms))
    if until_ms is not None:
        q = q.where(col(Fault.started_ms) < until_ms)
    return list(session.exec(q.order_by(col(Fault.started_ms), col(Fault.id))).all())

"""The management section's review of R6 candidates: confirm or dismiss, each with reviewer,
time and reason (R6, R12), and what confirmed ones mean for the score.

Only confirmed candidates deduct; a confirmed consecutive or self-evaluation also voids
its evaluation (R2). A decision can be changed by a later one (with its own reason); all
decisions are kept.
"""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, select

from host import audit
from host.errors import Conflict, Invalid, NotFound
from host.labels import DEDUCTION, VIOLATION_SOURCE, VIOLATION_STATUS
from host.models.events import Event
from host.models.review import ViolationCandidate, ViolationDecision
from host.rules import violations as rules
from host.rules.month_span import month_of, month_span
from host.rules.types import Deduction
from host.violations.closed import ensure_month_open

CONFIRM = "confirm"
DISMISS = "dismiss"
STATUS_AFTER = {CONFIRM: "confirmed", DISMISS: "dismissed"}
MANUAL_SOURCES = ("complaint", "patrol")    # R6: "or a complaint/patrol record says so"


def get_candidate(session: Session, candidate_id: int) -> ViolationCandidate:
    row = session.get(ViolationCandidate, candidate_id)
    if row is None:
        raise NotFound(f"疑似违规记录 {candidate_id} 不存在",
                       "核对编号；查看疑似违规：evalpad violations list")
    return row


def decide(session: Session, candidate_id: int, decision: str, *, reviewer: str, reason: str,
           now_ms: int) -> ViolationCandidate:
    """Confirm or dismiss one candidate; writes the decision and an AuditEntry, commits."""
    if decision not in STATUS_AFTER:
        raise Invalid(f"审核结论 {decision!r} 不对", "结论只能是 confirm（确认）或 dismiss（驳回）")
    if not reason.strip():
        raise Invalid("审核结论必须写明理由（R6、R12）",
                      "写明依据，如“监控录像显示工作人员自行按键”")
    if not reviewer.strip():
        raise Invalid("审核结论必须写明审核人（R6）", "填写审核人姓名")
    row = get_candidate(session, candidate_id)
    if row.status == "withdrawn":
        raise Conflict(f"疑似违规 {candidate_id} 已撤回：现有评价记录已不支持它",
                       "无需审核；如有新情况，请重新运行检测")
    if row.status == STATUS_AFTER[decision]:
        raise Conflict(f"疑似违规 {candidate_id} 已是“{VIOLATION_STATUS.get(row.status, row.status)}”",
                       "要改结论，请给出另一个结论并写明理由")
    ensure_month_open(session, month_of(row.at_ms), f"对疑似违规 {candidate_id} 的审核")
    before = row.status
    row.status = STATUS_AFTER[decision]
    session.add(row)
    session.add(ViolationDecision(candidate_id=candidate_id, decision=decision, reviewer=reviewer,
                                  decided_ms=now_ms, reason=reason.strip()))
    audit.record(session, at_ms=now_ms, actor=reviewer, action=f"violation.{decision}",
                 subject=f"violation:{candidate_id}", reason=reason.strip(), kind=row.kind,
                 window_id=row.window_id, before=before, after=row.status,
                 voids=row.subject_event_id if decision == CONFIRM and row.kind in rules.VOIDING_KINDS
                 else None)
    session.commit()
    session.refresh(row)
    return row


def confirm(session: Session, candidate_id: int, *, reviewer: str, reason: str,
            now_ms: int) -> ViolationCandidate:
    return decide(session, candidate_id, CONFIRM, reviewer=reviewer, reason=reason, now_ms=now_ms)


def dismiss(session: Session, candidate_id: int, *, reviewer: str, reason: str,
            now_ms: int) -> ViolationCandidate:
    return decide(session, candidate_id, DISMISS, reviewer=reviewer, reason=reason, now_ms=now_ms)


def report(session: Session, *, window_id: int, kind: str, at_ms: int, by: str, source: str,
           detail: str, now_ms: int, subject_event_id: int | None = None) -> ViolationCandidate:
    row = _report(session, window_id=window_id, kind=kind, at_ms=at_ms, by=by, source=source, detail=detail,
                  now_ms=now_ms, subject_event_id=subject_event_id)
    session.commit()
    session.refresh(row)
    return row


def _report(session: Session, *, window_id: int, kind: str, at_ms: int, by: str, source: str,
            detail: str, now_ms: int, subject_event_id: int | None = None) -> ViolationCandidate:
    """A candidate from a complaint or patrol record (R6), e.g. 拒绝评议 seen in the hall.

    It still needs a confirmation like any other. A voiding kind must name the evaluation.
    """
    if kind not in rules.KINDS:
        raise Invalid(f"违规类型 {kind!r} 不对", "类型只能是："
                      + "、".join(f"{k}（{DEDUCTION[k]}）" for k in rules.KINDS))
    if source not in MANUAL_SOURCES:
        raise Invalid(f"来源 {source!r} 不对", "来源只能是："
                      + "、".join(f"{s}（{VIOLATION_SOURCE[s]}）" for s in MANUAL_SOURCES))
    if not detail.strip():
        raise Invalid("登记违规必须写明情况", "写明看到了什么、在哪里、什么时间")
    if kind in rules.VOIDING_KINDS:
        ev = session.get(Event, subject_event_id) if subject_event_id is not None else None
        if ev is None or ev.type != "eval" or ev.window_id != window_id:
            given = "没有填写事件编号" if subject_event_id is None else f"事件 {subject_event_id} 不是"
            raise Invalid(f"登记{DEDUCTION.get(kind, kind)}必须指明窗口 {window_id} 的一条评价（{given}）",
                          "填写那条评价的事件编号")
    row = ViolationCandidate(key=f"{kind}:{source}:{uuid.uuid4().hex[:16]}", window_id=window_id,
                             kind=kind, at_ms=at_ms, subject_event_id=subject_event_id,
                             evidence=[subject_event_id] if subject_event_id is not None else [],
                             reasons=[source], detail=detail.strip(), source=source, reported_by=by,
                             detected_ms=now_ms)
    session.add(row)
    session.flush()
    audit.record(session, at_ms=now_ms, actor=by, action="violation.report", subject=f"violation:{row.id}",
                 reason=detail.strip(), kind=kind, window_id=window_id, source=source)
    return row


PATROL_NOTE = "patrol.note"            # kept in the audit trail: who, when, what (R12)
MAX_NOTE = 500
# What a patrol can see for itself; a consecutive or self-evaluation is tied to one
# evaluation event and is found by the detector instead.
PATROL_VIOLATIONS = ("no_prompt", "refused")


def patrol_note(session: Session, *, window_id: int, window_number: str, text: str, by: str, now_ms: int,
                violation: str = "") -> ViolationCandidate | None:
    """A patrol's note against a window (巡查记录), and with ``violation`` also an R6 candidate
    (未提示评价/拒绝评价) for the management section to confirm or dismiss: both or neither."""
    text = " ".join(text.split())
    if not text:
        raise Invalid("巡查记录必须写明所见情况", "写明您在窗口看到的情况")
    if len(text) > MAX_NOTE:
        raise Invalid(f"巡查记录最多 {MAX_NOTE} 个字", "请缩短内容")
    if violation and violation not in PATROL_VIOLATIONS:
        raise Invalid(f"巡查只登记{'或'.join(DEDUCTION[v] for v in PATROL_VIOLATIONS)}，不登记 {violation!r}",
                      "其他类型由系统检测发现")
    audit.record(session, at_ms=now_ms, actor=by, action=PATROL_NOTE, subject=window_number, reason=text)
    cand = None
    if violation:
        cand = _report(session, window_id=window_id, kind=violation, at_ms=now_ms, by=by, source="patrol",
                       detail=text, now_ms=now_ms)
    session.commit()
    return cand


def list_candidates(session: Session, *, window_id: int | None = None, month: str | None = None,
                    status: str | None = None, kind: str | None = None) -> list[ViolationCandidate]:
    q = select(ViolationCandidate)
    if window_id is not None:
        q = q.where(ViolationCandidate.window_id == window_id)
    if month is not None:
        span = month_span(month)
        q = q.where(col(ViolationCandidate.at_ms) >= span.start_ms,
                    col(ViolationCandidate.at_ms) < span.end_ms)
    if status is not None:
        q = q.where(ViolationCandidate.status == status)
    if kind is not None:
        q = q.where(ViolationCandidate.kind == kind)
    return list(session.exec(q.order_by(col(ViolationCandidate.at_ms), col(ViolationCandidate.id))).all())


def decisions_of(session: Session, candidate_id: int) -> list[ViolationDecision]:
    return list(session.exec(select(ViolationDecision).where(ViolationDecision.candidate_id == candidate_id)
                             .order_by(col(ViolationDecision.decided_ms), col(ViolationDecision.id))).all())


def _confirmed(session: Session, window_id: int, month: str) -> list[ViolationCandidate]:
    return list_candidates(session, window_id=window_id, month=month, status="confirmed")


def confirmed_deductions(session: Session, window_id: int, month: str) -> list[Deduction]:
    """The R6 deductions of a window and month: one per confirmed candidate.

    ``waiver`` is left None: R7 pad-fault and R8 management waivers are applied by the
    scorer (host.faults.pad_fault_spans, host.waivers.waivers_for).
    """
    out: list[Deduction] = []
    for c in _confirmed(session, window_id, month):
        if not rules.POINTS[c.kind]:
            continue                    # stuck_button: it only voids its evaluation (R2, R7)
        last = decisions_of(session, c.id)[-1] if c.id is not None else None
        why = f"；{last.reviewer} 确认：{last.reason}" if last is not None else ""
        out.append(Deduction(kind=c.kind, points=rules.POINTS[c.kind], rule="R6", at_ms=c.at_ms,
                             evidence=tuple(int(e) for e in c.evidence),
                             detail=f"{rules.CHINESE[c.kind]} #{c.id}：{c.detail}{why}"))
    return out


def voided_event_ids(session: Session, window_id: int, month: str) -> set[int]:
    """Evaluations voided by a confirmed consecutive or self-evaluation (R2, R6)."""
    return {c.subject_event_id for c in _confirmed(session, window_id, month)
            if c.kind in rules.VOIDING_KINDS and c.subject_event_id is not None}

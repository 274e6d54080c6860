"""Management waivers (R8): the management section waives one deduction, with a written reason.

A waiver names its deduction by ``host.rules.types.deduction_key`` (stable across
recomputes), so the scorer marks that line waived -- shown on the report, never hidden.
Creating and revoking both write an AuditEntry (R12); revoking keeps the row.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from host import audit
from host.errors import Conflict, Invalid, NotFound
from host.models.fleet import Window
from host.models.waivers import Waiver
from host.rules.month_span import parse_month
from host.violations.closed import ensure_month_open

__all__ = ["create_waiver", "create_waivers", "list_waivers", "revoke_waiver", "waivers_for"]


def _check_key(key: str, window_id: int, month: str) -> None:
    prefix = f"{window_id}:{month}:"
    if not key.startswith(prefix) or len(key.split(":")) < 4:
        raise Invalid(f"扣分编号 {key!r} 不是窗口 {window_id} 在 {month} 的扣分",
                      f"请从月报中复制扣分编号；它以 {prefix} 开头")


def create_waiver(session: Session, *, window_id: int, month: str, key: str, reason: str, by: str,
                  now_ms: int) -> Waiver:
    """Waive deduction ``key`` of a window and month (R8); commits."""
    return create_waivers(session, window_id=window_id, month=month, keys=[key], reason=reason, by=by,
                          now_ms=now_ms)[0]


def create_waivers(session: Session, *, window_id: int, month: str, keys: list[str], reason: str, by: str,
                   now_ms: int) -> list[Waiver]:
    """Waive several deductions of a window and month with one written reason (R8): one decision,
    one transaction, each deduction its own Waiver row and AuditEntry (R12); all or nothing; commits."""
    if not keys:
        raise Invalid("没有选择扣分项", "勾选要免除的扣分项")
    try:
        parse_month(month)
    except ValueError as exc:
        raise Invalid(str(exc), "月份写成 YYYY-MM，如 2026-10") from exc
    if not reason.strip():
        raise Invalid("免除扣分必须写明理由（R8）",
                      "写明理由，如“10-08 评价器故障（故障记录 12）导致评价数不足”")
    if session.get(Window, window_id) is None:
        raise NotFound(f"窗口 {window_id} 不存在", "核对窗口后重新填写")
    ensure_month_open(session, month, "免除扣分")
    existing = waivers_for(session, window_id, month)
    rows = []
    for key in dict.fromkeys(keys):
        _check_key(key, window_id, month)
        if key in existing:
            raise Conflict(f"扣分 {key} 已免除",
                           "要改理由，请先撤销原来的免除")
        row = Waiver(window_id=window_id, month=month, key=key, reason=reason.strip(), by=by,
                     created_ms=now_ms)
        session.add(row)
        session.flush()
        audit.record(session, at_ms=now_ms, actor=by, action="waiver.create", subject=f"waiver:{row.id}",
                     reason=row.reason, window_id=window_id, month=month, key=key)
        rows.append(row)
    session.commit()
    for row in rows:
        session.refresh(row)
    return rows


def revoke_waiver(session: Session, waiver_id: int, *, reason: str, by: str, now_ms: int) -> Waiver:
    """Take a waiver back (the deduction counts again); the row stays, marked revoked; commits."""
    row = session.get(Waiver, waiver_id)
    if row is None:
        raise NotFound(f"免除记录 {waiver_id} 不存在", "核对编号后重试")
    if row.revoked_ms is not None:
        raise Conflict(f"免除记录 {waiver_id} 已撤销", "无需再操作")
    if not reason.strip():
        raise Invalid("撤销免除必须写明原因（R12）", "写明为什么撤销")
    ensure_month_open(session, row.month, "撤销免除")
    row.revoked_ms, row.revoked_by, row.revoke_reason = now_ms, by, reason.strip()
    session.add(row)
    audit.record(session, at_ms=now_ms, actor=by, action="waiver.revoke", subject=f"waiver:{waiver_id}",
                 reason=reason.strip(), key=row.key)
    session.commit()
    session.refresh(row)
    return row


def list_waivers(session: Session, *, window_id: int | None = None, month: str | None = None,
                 include_revoked: bool = False) -> list[Waiver]:
    q = select(Waiver)
    if window_id is not None:
        q = q.where(Waiver.window_id == window_id)
    if month is not None:
        q = q.where(Waiver.month == month)
    if not include_revoked:
        q = q.where(col(Waiver.revoked_ms).is_(None))
    return list(session.exec(q.order_by(col(Waiver.id))).all())


def waivers_for(session: Session, window_id: int, month: str) -> dict[str, str]:
    """Active waivers of a window and month: deduction key -> reason (R8)."""
    return {w.key: w.reason for w in list_waivers(session, window_id=window_id, month=month)}

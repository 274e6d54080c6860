"""Whether a month is closed (R11): decisions on a closed month wait until it is reopened."""

from __future__ import annotations

from sqlmodel import Session, col, select

from host.errors import Conflict
from host.models.months import MonthAction


def month_is_closed(session: Session, month: str) -> bool:
    """The newest close/reopen action of ``month`` says (host.models.months, R11)."""
    newest = session.exec(select(MonthAction).where(MonthAction.month == month)
                          .order_by(col(MonthAction.at_ms).desc(), col(MonthAction.id).desc())).first()
    return newest is not None and newest.action == "close"


def ensure_month_open(session: Session, month: str, what: str) -> None:
    if month_is_closed(session, month):
        raise Conflict(f"{month} 已关账；{what}会改变已经反馈的月报（R11）",
                       f"请先写明原因重新打开 {month}（evalpad month reopen {month}）")

"""What the 管理科 pages share: who reads and who decides (host.auth.policy), the month a page
shows, and the month's report as JSON (or what the calendar lacks, said in Chinese)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from sqlmodel import Session

from host.auth import policy
from host.clock import Clock, local
from host.rules.calendar import CalendarMissing
from host.rules.month_span import parse_month
from host.scoring.months import month_view
from host.scoring.view import view_json
from host.web.core import Viewer, action, page

READERS = policy.MONTH_SCORES_ALL_WINDOWS   # every window's scores; deciding is policy.REVIEW
Reader = Annotated[Viewer, Depends(page(*READERS))]
Deciders = Annotated[Viewer, Depends(action(*policy.REVIEW))]


def this_month(clock: Clock) -> str:
    return local(clock.now_ms()).strftime("%Y-%m")


def month_or_now(value: str | None, clock: Clock) -> str:
    """The month asked for (already checked: host.api.params), or this month if none was."""
    return value or this_month(clock)


def months_before(month: str, n: int = 1) -> str:
    y, m = parse_month(month)
    k = y * 12 + (m - 1) - n
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def report_json(
    session: Session, month: str, clock: Clock, window_ids: list[int] | None = None
) -> tuple[dict[str, Any] | None, str | None]:
    try:
        return view_json(month_view(session, month, clock, window_ids)), None
    except CalendarMissing as exc:
        return None, f"缺少工作日历数据：{exc}（请在“配置”页面声明该年度的节假日日历）"

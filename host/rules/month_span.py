"""A calendar month ("2026-10") of the rules as a span of Unix ms in Asia/Shanghai (R2, R10), and
the one way a month or a period (a quarter, a year) is written: the CLI parses with these
functions, the API and the pages check the same patterns (host.api.params)."""

from __future__ import annotations

import re
from datetime import datetime

from host.clock import RULES_TZ, local, to_ms
from host.rules.types import Span

MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"     # ASCII digits only: "２０２６-１０" is no month key
PERIOD_PATTERN = r"^[0-9]{4}(-Q[1-4])?$"          # a year (2026) or a quarter (2026-Q4)
_MONTH = re.compile(MONTH_PATTERN)
_PERIOD = re.compile(PERIOD_PATTERN)


def parse_month(text: str) -> tuple[int, int]:
    """'2026-10' -> (2026, 10); anything else is refused with what to write instead."""
    if not isinstance(text, str) or not _MONTH.match(text):
        raise ValueError(f"月份 {text!r} 写法不对：请写成 YYYY-MM，如 2026-10")
    return int(text[:4]), int(text[5:7])


def period_months(period: str) -> list[str]:
    """'2026-Q4' -> ['2026-10', '2026-11', '2026-12']; '2026' -> its twelve months."""
    if not isinstance(period, str) or not _PERIOD.match(period):
        raise ValueError(f"时段 {period!r} 写法不对：季度写成 YYYY-Qn（如 2026-Q4），年份写成 YYYY")
    year = int(period[:4])
    if len(period) == 4:
        return [f"{year}-{mon:02d}" for mon in range(1, 13)]
    q = int(period[-1])
    return [f"{year}-{mon:02d}" for mon in range(3 * q - 2, 3 * q + 1)]


def month_span(month: str) -> Span:
    """The month in Asia/Shanghai, [first day 00:00, next month's first day 00:00)."""
    year, mon = parse_month(month)
    nxt = (year + 1, 1) if mon == 12 else (year, mon + 1)
    return Span(to_ms(datetime(year, mon, 1, tzinfo=RULES_TZ)),
                to_ms(datetime(nxt[0], nxt[1], 1, tzinfo=RULES_TZ)))


def month_of(ms: int) -> str:
    """The rules' month (Asia/Shanghai) a moment belongs to."""
    return local(ms).strftime("%Y-%m")

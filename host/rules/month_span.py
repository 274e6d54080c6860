"""A calendar month ("2026-10") of the rules as a span of Unix ms in Asia/Shanghai (R2, R10)."""

from __future__ import annotations

import re
from datetime import datetime

from host.clock import RULES_TZ, local, to_ms
from host.rules.types import Span

_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")   # ASCII digits: "２０２６-１０" is no month key


def parse_month(text: str) -> tuple[int, int]:
    """'2026-10' -> (2026, 10); anything else is refused with what to write instead."""
    m = _MONTH.match(text.strip()) if isinstance(text, str) else None
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"month {text!r} is not a month: write it as YYYY-MM, e.g. 2026-10")
    return int(m.group(1)), int(m.group(2))


def month_span(month: str) -> Span:
    """The month in Asia/Shanghai, [first day 00:00, next month's first day 00:00)."""
    year, mon = parse_month(month)
    nxt = (year + 1, 1) if mon == 12 else (year, mon + 1)
    return Span(to_ms(datetime(year, mon, 1, tzinfo=RULES_TZ)),
                to_ms(datetime(nxt[0], nxt[1], 1, tzinfo=RULES_TZ)))


def month_of(ms: int) -> str:
    """The rules' month (Asia/Shanghai) a moment belongs to."""
    return local(ms).strftime("%Y-%m")

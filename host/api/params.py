"""The URL and form parameters many routes share, checked in one place for the API and the pages
(with the patterns the CLI parses by: host.rules.month_span, host.clock).

A malformed month (``2026-13``, ``../../x``, full-width digits), period, year, id or time is a
422 before the route runs: a problem naming the parameter (API) or a page in Chinese saying
what to write (host.web). Never a 500, never a quiet fallback to this month. Ids and times
are bounded so that no value reaches the database as an integer it cannot hold.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Form, Path, Query
from pydantic import Field

from host.rules.month_span import MONTH_PATTERN, PERIOD_PATTERN

MAX_ID = 2**31 - 1                                        # an INTEGER primary key
MAX_MS = 2**53                                            # Unix ms far past any real time
MAX_OFFSET = 10**9
_MONTH = {"pattern": MONTH_PATTERN, "examples": ["2026-10"], "description": "a month, YYYY-MM"}

Month = Annotated[str, Path(**_MONTH)]                             # type: ignore[call-overload]
MonthQuery = Annotated[str | None, Query(**_MONTH)]                # type: ignore[call-overload]
MonthRequired = Annotated[str, Query(**_MONTH)]                    # type: ignore[call-overload]
MonthForm = Annotated[str, Form(**_MONTH)]                         # type: ignore[call-overload]
MonthField = Annotated[str, Field(pattern=MONTH_PATTERN, examples=["2026-10"])]
Period = Annotated[str, Path(pattern=PERIOD_PATTERN, examples=["2026-Q4", "2026"])]
Year = Annotated[int, Path(ge=2000, le=2100, examples=[2026])]
Id = Annotated[int, Path(ge=1, le=MAX_ID, description="a positive id")]
TimeMs = Annotated[int | None, Query(ge=0, le=MAX_MS, description="Unix ms UTC")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
DayQuery = Annotated[date | None, Query(description="a day, YYYY-MM-DD", examples=["2026-10-08"])]

# How the pages name a parameter in Chinese, and what to write instead (host.web).
CHINESE = {
    "month": "月份（应为 2026-10 这样的年-月）",
    "period": "期间（应为 2026 或 2026-Q4）",
    "year": "年份（应为 2026 这样的四位数）",
    "day": "日期（应为 2026-10-01 这样的年-月-日）",
}
CHINESE_ID = "编号（应为正整数）"

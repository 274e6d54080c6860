"""Working days (工作日) and the summer schedule (夏令时) for R5, in Asia/Shanghai dates.

The official calendar, including make-up working days (调休), comes from ``chinesecalendar``;
per-date overrides the operator entered win. A date the library has no data for and no
operator entry covers is an error the operator sees (``CalendarMissing``), never a guess (R5).

Pure: the database layer (host.calendar.config) passes overrides in.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

import chinese_calendar


class DayKind(StrEnum):
    """What kind of day a date is for a service center.

    ``rest`` is an ordinary weekend day; ``holiday`` a statutory holiday (or a day the operator
    entered as off that the official calendar does not already have as an ordinary rest day).
    Saturday service hours (便民窗口, R5) run on ``rest`` Saturdays only: a Saturday inside a
    public holiday has none, and a make-up working Saturday (调休) has the weekday sessions.
    """

    WORKING = "working"
    REST = "rest"
    HOLIDAY = "holiday"


class CalendarMissing(LookupError):
    """No working-day data for a date: the operator must enter that year's calendar (R5)."""

    def __init__(self, day: date) -> None:
        self.day = day
        super().__init__(
            # "what: how" -- host.calendar.hours.calendar_error shows the part after ": " as the fix.
            f"没有 {day.isoformat()} 的工作日历: 官方日历数据（chinesecalendar）不包含 {day.year} 年，"
            f"也还没有人录入。请按国务院 {day.year} 年放假通知，用 "
            f"`evalpad calendar set 日期 working|off --by 姓名 --reason 原因` 逐一录入节假日和调休上班日，"
            f"再用 `evalpad calendar year {day.year} --by 姓名 --reason 原因` "
            f"把 {day.year} 年其余日期定为普通周（周一至周五上班）。"
        )


@dataclass(frozen=True, slots=True)
class Calendar:
    """The working-day calendar with the operator's entries.

    ``overrides``: date -> working (True) or off (False), entered by the operator; they win.
    ``declared_years``: years the operator declared entered, so dates without an override
    follow the ordinary week (Mon-Fri working) instead of raising ``CalendarMissing``.
    """

    overrides: Mapping[date, bool] = field(default_factory=dict)
    declared_years: Set[int] = field(default_factory=frozenset)

    def kind(self, day: date) -> DayKind:
        override = self.overrides.get(day)
        if override:
            return DayKind.WORKING
        if override is None:
            return self._official(day)
        # Entered as off. Saturday service hours run on ordinary rest Saturdays only (R5): a day
        # entered off is a holiday (the State Council's notice, for a year the library lacks), unless
        # the official calendar itself has it as an ordinary rest day (then the entry changes nothing).
        try:
            official = _library(day)
        except NotImplementedError:
            return DayKind.HOLIDAY
        return DayKind.REST if official is DayKind.REST else DayKind.HOLIDAY

    def _official(self, day: date) -> DayKind:
        """The day's kind without an operator's entry for it: the library, else a declared year."""
        try:
            return _library(day)
        except NotImplementedError:
            if day.year not in self.declared_years:
                raise CalendarMissing(day) from None
            return DayKind.REST if _ordinary_weekend(day) else DayKind.WORKING

    def is_working_day(self, day: date) -> bool:
        return self.kind(day) is DayKind.WORKING


def _library(day: date) -> DayKind:
    """The official calendar (chinesecalendar); NotImplementedError for a year it does not cover."""
    working = chinese_calendar.is_workday(day)
    on_holiday, name = chinese_calendar.get_holiday_detail(day)
    if working:
        return DayKind.WORKING
    return DayKind.HOLIDAY if (on_holiday and name is not None) else DayKind.REST


def _ordinary_weekend(day: date) -> bool:
    return day.weekday() >= 5


@dataclass(frozen=True, slots=True)
class SummerRange:
    """The summer schedule (夏令时) of one year: ``start`` to ``end`` inclusive (R5)."""

    start: date
    end: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


# ASSUMPTION (shown on the configuration page): the source gives no summer date range; many
# Shanghai public offices keep summer hours from 1 May to 30 September. Configurable per year.
DEFAULT_SUMMER_START = (5, 1)
DEFAULT_SUMMER_END = (9, 30)


def default_summer(year: int) -> SummerRange:
    return SummerRange(date(year, *DEFAULT_SUMMER_START), date(year, *DEFAULT_SUMMER_END))


def is_summer(day: date, ranges: Mapping[int, SummerRange]) -> bool:
    """Whether ``day`` is on the summer schedule: the year's configured range, else the default."""
    return day in ranges.get(day.year, default_summer(day.year))

"""The rules' configuration from the database (R5, R6): calendar entries, summer ranges, window
hours and rule settings; and the operator's changes to them, each audited with who, when and why (R12).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, time
from fractions import Fraction

from sqlmodel import Session, col, select

from host import labels
from host.audit import record
from host.clock import Clock
from host.errors import Invalid
from host.models.calendar import (
    CalendarDay,
    CalendarYear,
    RuleSetting,
    SummerSchedule,
    WindowDay,
    WindowSchedule,
)
from host.rules.calendar import Calendar, SummerRange, default_summer
from host.rules.closures import DEFAULT_GRACE_MS
from host.rules.goodbad import (
    DEFAULT_CALLBACK_DAYS,
    DEFAULT_LEVEL_POINTS,
    DEFAULT_RECTIFY_DAYS,
    MODES,
    TWO_LEVEL,
    BadMapping,
    BurstRule,
    format_level_points,
    parse_level_points,
)
from host.rules.sessions import ORDINARY
from host.rules.sessions import WindowSchedule as Schedule

log = logging.getLogger(__name__)

GRACE_MS = "grace_ms"                      # R5
MIN_INTERVAL_MS = "min_interval_ms"        # R6
PLACARD_CATEGORIES = "placard_categories"  # R5 a
DEFAULT_MIN_INTERVAL_MS = 20_000           # R6: configurable, default 20 s
# R5 a: the three police windows (交警, 治安, 出入境) may use the work placard.
DEFAULT_PLACARD = ("police_traffic", "police_public_security", "police_exit_entry")
# 好差评 (issue 16, host.rules.goodbad): the scoring mode and its level points, the bad-review
# deadlines in working days, and what a burst of unsatisfied ratings is (live alerts).
SCORING_MODE = "scoring_mode"
LEVEL_POINTS = "level_points"
CALLBACK_DAYS = "callback_working_days"
RECTIFY_DAYS = "rectify_working_days"
BURST_WINDOW_MS = "burst_window_ms"
BURST_MIN_RATINGS = "burst_min_ratings"
BURST_SHARE_PCT = "burst_share_percent"
_BURST = BurstRule()
DEFAULTS: dict[str, str] = {
    GRACE_MS: str(DEFAULT_GRACE_MS),
    MIN_INTERVAL_MS: str(DEFAULT_MIN_INTERVAL_MS),
    PLACARD_CATEGORIES: ",".join(DEFAULT_PLACARD),
    SCORING_MODE: TWO_LEVEL,
    LEVEL_POINTS: format_level_points(DEFAULT_LEVEL_POINTS),
    CALLBACK_DAYS: str(DEFAULT_CALLBACK_DAYS),
    RECTIFY_DAYS: str(DEFAULT_RECTIFY_DAYS),
    BURST_WINDOW_MS: str(_BURST.window_ms),
    BURST_MIN_RATINGS: str(_BURST.min_ratings),
    BURST_SHARE_PCT: str(int(_BURST.share * 100)),
}
# Whole numbers and their allowed range.
_WHOLE: dict[str, tuple[int, int]] = {
    GRACE_MS: (0, 24 * 3600 * 1000), MIN_INTERVAL_MS: (0, 24 * 3600 * 1000),
    CALLBACK_DAYS: (0, 60), RECTIFY_DAYS: (0, 250),
    BURST_WINDOW_MS: (60_000, 24 * 3600 * 1000), BURST_MIN_RATINGS: (1, 1000), BURST_SHARE_PCT: (1, 100),
}
_CATEGORY = re.compile(r"^[a-z0-9_]+$")
_SPAN = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
MAX_SETTING_MS = 24 * 3600 * 1000


class ConfigError(Invalid):
    """A configuration value the rules cannot use; the message says what to write instead."""


@dataclass(frozen=True, slots=True)
class RuleConfig:
    grace_ms: int = DEFAULT_GRACE_MS
    min_interval_ms: int = DEFAULT_MIN_INTERVAL_MS
    placard_categories: frozenset[str] = frozenset(DEFAULT_PLACARD)
    calendar: Calendar = field(default_factory=Calendar)
    summer: dict[int, SummerRange] = field(default_factory=dict)
    schedules: dict[int, Schedule] = field(default_factory=dict)
    scoring_mode: str = TWO_LEVEL
    level_points: dict[int, Fraction] = field(default_factory=lambda: dict(DEFAULT_LEVEL_POINTS))
    callback_days: int = DEFAULT_CALLBACK_DAYS
    rectify_days: int = DEFAULT_RECTIFY_DAYS
    burst: BurstRule = field(default_factory=BurstRule)

    @property
    def default_level_points(self) -> bool:
        """Whether the five-level points are the shipped ones (an ASSUMPTION, shown)."""
        return self.level_points == DEFAULT_LEVEL_POINTS

    def schedule(self, window_id: int) -> Schedule:
        return self.schedules.get(window_id, ORDINARY)

    def summer_range(self, year: int) -> tuple[SummerRange, bool]:
        """The year's summer range and whether it is the shipped default (an ASSUMPTION)."""
        if year in self.summer:
            return self.summer[year], False
        return default_summer(year), True


def calendar_entries(session: Session, year: int | None = None,
                     newest: int | None = None) -> list[CalendarDay]:
    """The operator's calendar entries (R5): of ``year`` in date order, or the ``newest`` first."""
    q = select(CalendarDay)
    if year is not None:
        q = q.where(col(CalendarDay.day) >= date(year, 1, 1), col(CalendarDay.day) <= date(year, 12, 31))
    q = q.order_by(col(CalendarDay.day).desc() if newest else col(CalendarDay.day))
    return list(session.exec(q.limit(newest) if newest else q).all())


def declared_year(session: Session, year: int) -> CalendarYear | None:
    return session.get(CalendarYear, year)


def declared_years(session: Session) -> list[CalendarYear]:
    return list(session.exec(select(CalendarYear).order_by(col(CalendarYear.year))).all())


def window_schedules(session: Session) -> list[WindowSchedule]:
    return list(session.exec(select(WindowSchedule)).all())


def window_days(session: Session, newest: int | None = None) -> list[WindowDay]:
    """Single dates marked on a window (closed, noon duty): in date order, or the ``newest`` first."""
    q = select(WindowDay).order_by(col(WindowDay.day).desc() if newest else col(WindowDay.day))
    return list(session.exec(q.limit(newest) if newest else q).all())


def settings_values(session: Session) -> dict[str, RuleSetting | None]:
    rows = {r.key: r for r in session.exec(select(RuleSetting)).all()}
    return {k: rows.get(k) for k in DEFAULTS}


def load_config(session: Session) -> RuleConfig:
    settings = {r.key: r.value for r in session.exec(select(RuleSetting)).all()}
    values = {**DEFAULTS, **settings}
    overrides = {r.day: r.working for r in session.exec(select(CalendarDay)).all()}
    years = frozenset(r.year for r in session.exec(select(CalendarYear)).all())
    summer = {r.year: SummerRange(r.start, r.end) for r in session.exec(select(SummerSchedule)).all()}
    schedules: dict[int, Schedule] = {}
    days: dict[int, dict[str, set[date]]] = {}
    for d in session.exec(select(WindowDay)).all():
        days.setdefault(d.window_id, {}).setdefault(d.kind, set()).add(d.day)
    rows = {r.window_id: r for r in session.exec(select(WindowSchedule)).all()}
    for wid in set(rows) | set(days):
        r = rows.get(wid)
        extra = days.get(wid, {})
        schedules[wid] = Schedule(
            noon_duty_weekdays=parse_weekdays(r.noon_duty_weekdays) if r else frozenset(),
            noon_duty_dates=frozenset(extra.get("noon_duty", ())),
            saturday_spans=parse_spans(r.saturday_spans) if r else (),
            closed_weekdays=parse_weekdays(r.closed_weekdays) if r else frozenset(),
            closed_dates=frozenset(extra.get("closed", ())))
    return RuleConfig(grace_ms=int(values[GRACE_MS]), min_interval_ms=int(values[MIN_INTERVAL_MS]),
                      placard_categories=frozenset(c for c in values[PLACARD_CATEGORIES].split(",") if c),
                      calendar=Calendar(overrides=overrides, declared_years=years), summer=summer,
                      schedules=schedules, scoring_mode=values[SCORING_MODE],
                      level_points=parse_level_points(values[LEVEL_POINTS]),
                      callback_days=int(values[CALLBACK_DAYS]), rectify_days=int(values[RECTIFY_DAYS]),
                      burst=BurstRule(int(values[BURST_WINDOW_MS]), int(values[BURST_MIN_RATINGS]),
                                      Fraction(int(values[BURST_SHARE_PCT]), 100)))


def parse_weekdays(text: str) -> frozenset[int]:
    """``"0,2"`` -> {0, 2} (0 = Monday ... 6 = Sunday)."""
    out: set[int] = set()
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if not part.isdigit() or not 0 <= int(part) <= 6:
            raise ConfigError(f"星期 {part!r} 不对",
                                  "用 0（星期一）到 6（星期日）表示，多个用逗号分隔，如 0,2")
        out.add(int(part))
    return frozenset(out)


def parse_spans(text: str) -> tuple[tuple[time, time], ...]:
    """``"09:00-12:00,13:00-16:00"`` -> ((09:00, 12:00), (13:00, 16:00))."""
    out: list[tuple[time, time]] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        m = _SPAN.match(part)
        try:
            if not m:
                raise ValueError
            a, b = time(int(m[1]), int(m[2])), time(int(m[3]), int(m[4]))
        except ValueError:
            raise ConfigError(f"服务时间 {part!r} 写法不对", "写成 HH:MM-HH:MM，如 09:00-12:00") from None
        if not a < b:
            raise ConfigError(f"服务时间 {part!r} 不对", "结束时间必须晚于开始时间")
        out.append((a, b))
    return tuple(sorted(out))


def _need(by: str, reason: str) -> None:
    if not by.strip() or not reason.strip():
        raise ConfigError("每次修改配置都要写明修改人（--by）和原因（--reason）（R12）",
                          "补上 --by 和 --reason 后再提交")


def set_setting(session: Session, clock: Clock, key: str, value: str, *, by: str, reason: str) -> RuleSetting:
    """Change one rule setting (R5 grace period, R6 minimum interval, R5a placard categories; the
    好差评 scoring mode, level points, bad-review deadlines and burst rule, issue 16)."""
    _need(by, reason)
    if key not in DEFAULTS:
        raise ConfigError(f"没有配置项 {key!r}", "配置项只能是："
                           + "、".join(f"{k}（{labels.SETTING.get(k, k)}）" for k in sorted(DEFAULTS)))
    value = value.strip()
    if key in _WHOLE:
        lo, hi = _WHOLE[key]
        if not value.isdigit() or not lo <= int(value) <= hi:
            unit = "毫秒数" if key.endswith("_ms") else "整数"
            raise ConfigError(f"{labels.SETTING.get(key, key)}（{key}）填的是 {value!r}，不对",
                              f"请填 {lo} 到 {hi} 之间的{unit}")
        value = str(int(value))
    elif key == SCORING_MODE:
        if value not in MODES:
            raise ConfigError(f"{labels.SETTING.get(key, key)}（{key}）填的是 {value!r}，不对",
                              "只能是："
                              + "、".join(f"{m}（{labels.SCORING_MODE.get(m, m)}）" for m in MODES))
    elif key == LEVEL_POINTS:
        try:
            value = format_level_points(parse_level_points(value))
        except BadMapping as exc:
            raise ConfigError(f"{key}: {exc}") from None
    else:
        cats = [c.strip() for c in value.split(",") if c.strip()]
        bad = [c for c in cats if not _CATEGORY.match(c)]
        if bad:
            raise ConfigError(f"窗口类别代码 {bad} 不合规定",
                              "类别代码用小写字母、数字和“_”（如 police_traffic）")
        value = ",".join(cats)
    row = session.get(RuleSetting, key)
    old = row.value if row else DEFAULTS[key]
    now = clock.now_ms()
    if row is None:
        row = RuleSetting(key=key, value=value, by=by, reason=reason, at_ms=now)
    else:
        row.value, row.by, row.reason, row.at_ms = value, by, reason, now
    session.add(row)
    record(session, at_ms=now, actor=by, action="setting.set", subject=key, reason=reason, old=old, new=value)
    session.commit()
    return row


def set_calendar_days(session: Session, clock: Clock, days: Iterable[date], working: bool | None, *,
                      by: str, reason: str) -> int:
    """Enter (working True/False) or remove (None) the operator's entry for dates (R5)."""
    _need(by, reason)
    now = clock.now_ms()
    n = 0
    for day in days:
        row = session.get(CalendarDay, day)
        old = None if row is None else row.working
        if working is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(CalendarDay(day=day, working=working, by=by, reason=reason, at_ms=now))
        else:
            row.working, row.by, row.reason, row.at_ms = working, by, reason, now
            session.add(row)
        record(session, at_ms=now, actor=by, action="calendar.set", subject=day.isoformat(), reason=reason,
               old=old, new=working)
        n += 1
    session.commit()
    return n


def declare_year(session: Session, clock: Clock, year: int, *, by: str, reason: str) -> None:
    """The operator says ``year``'s holidays and make-up days are entered; other dates follow Mon-Fri."""
    _need(by, reason)
    now = clock.now_ms()
    row = session.get(CalendarYear, year)
    if row is None:
        session.add(CalendarYear(year=year, by=by, reason=reason, at_ms=now))
    else:
        row.by, row.reason, row.at_ms = by, reason, now
        session.add(row)
    record(session, at_ms=now, actor=by, action="calendar.year", subject=str(year), reason=reason)
    session.commit()


def set_summer(session: Session, clock: Clock, year: int, start: date, end: date, *, by: str,
               reason: str) -> None:
    """Set the summer schedule (夏令时) of ``year``: ``start`` to ``end`` inclusive (R5)."""
    _need(by, reason)
    if not (start.year == end.year == year and start <= end):
        raise ConfigError(f"夏令时日期范围 {start}..{end} 不对",
                              f"两个日期都要在 {year} 年内，且开始日期不晚于结束日期")
    now = clock.now_ms()
    row = session.get(SummerSchedule, year)
    old = None if row is None else f"{row.start}..{row.end}"
    if row is None:
        row = SummerSchedule(year=year, start=start, end=end, by=by, reason=reason, at_ms=now)
    else:
        row.start, row.end, row.by, row.reason, row.at_ms = start, end, by, reason, now
    session.add(row)
    record(session, at_ms=now, actor=by, action="calendar.summer", subject=str(year), reason=reason,
           old=old, new=f"{start}..{end}")
    session.commit()


def set_window_schedule(session: Session, clock: Clock, window_id: int, *, noon_duty_weekdays: str = "",
                        saturday_spans: str = "", closed_weekdays: str = "", by: str, reason: str) -> None:
    """A window's noon duty weekdays, Saturday service hours and closed weekdays (R5)."""
    _need(by, reason)
    parse_weekdays(noon_duty_weekdays), parse_spans(saturday_spans), parse_weekdays(closed_weekdays)
    now = clock.now_ms()
    row = session.get(WindowSchedule, window_id)
    values = dict(noon_duty_weekdays=noon_duty_weekdays, saturday_spans=saturday_spans,
                  closed_weekdays=closed_weekdays)
    old = None if row is None else {k: getattr(row, k) for k in values}
    if row is None:
        row = WindowSchedule(window_id=window_id, by=by, reason=reason, at_ms=now, **values)
    else:
        for k, v in values.items():
            setattr(row, k, v)
        row.by, row.reason, row.at_ms = by, reason, now
    session.add(row)
    record(session, at_ms=now, actor=by, action="window.schedule", subject=str(window_id), reason=reason,
           old=old, new=values)
    session.commit()


def set_window_day(session: Session, clock: Clock, window_id: int, day: date, kind: str, on: bool, *,
                   by: str, reason: str) -> None:
    """Mark (``on``) or unmark one date of a window as ``closed`` or ``noon_duty`` (R5)."""
    _need(by, reason)
    if kind not in ("closed", "noon_duty"):
        raise ConfigError(f"窗口日程类型 {kind!r} 不对", "只能是 closed（不开放）或 noon_duty（午间值班）")
    now = clock.now_ms()
    row = session.exec(select(WindowDay).where(WindowDay.window_id == window_id, WindowDay.day == day,
                                               WindowDay.kind == kind)).first()
    if on and row is None:
        session.add(WindowDay(window_id=window_id, day=day, kind=kind, by=by, reason=reason, at_ms=now))
    elif not on and row is not None:
        session.delete(row)
    record(session, at_ms=now, actor=by, action=f"window.{kind}", subject=f"{window_id}:{day}",
           reason=reason, on=on)
    session.commit()



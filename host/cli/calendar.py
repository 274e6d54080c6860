"""`evalpad calendar …`: working days, the summer schedule, window hours and rule settings (R5,
R6), the operator's entries each audited with ``--by`` and ``--reason`` (R12)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated

import typer

from host.calendar import config
from host.cli.common import as_day, as_window, clock, fail, open_db
from host.cli.zh import Typer
from host.errors import Invalid
from host.labels import DAY_KIND, SETTING, WEEKDAY, WINDOW_DAY
from host.rules.calendar import CalendarMissing, DayKind

calendar_app = Typer(help="工作日、夏令时作息、窗口服务时间和规则设置（R5）。",
                           no_args_is_help=True)
By = Annotated[str, typer.Option("--by", help="修改人（R12）")]
Why = Annotated[str, typer.Option("--reason", help="原因（R12）")]


@calendar_app.command("show")
def calendar_show(year: Annotated[int, typer.Argument(help="年份，如 2027")]) -> None:
    """查看某年的工作日、人工录入的日期、夏令时作息和规则设置（R5）。"""
    with open_db() as (_, session):
        cfg = config.load_config(session)
        entries = config.calendar_entries(session, year)
        declared = config.declared_year(session, year)
        settings = config.settings_values(session)
        schedules = config.window_schedules(session)
        window_days = [wd for wd in config.window_days(session) if wd.day.year == year]
    rng, default = cfg.summer_range(year)
    typer.echo(f"{year} 年夏令时作息：{rng.start} 至 {rng.end}"
               f"{'（出厂默认值：是假定，依据文件没有给出）' if default else ''}")
    try:
        unusual = [(d, cfg.calendar.kind(d)) for d in _year_days(year)
                   if (cfg.calendar.kind(d) is DayKind.WORKING) == (d.weekday() >= 5)]
        typer.echo("与平常一周不同的日子（工作日放假、周末调休上班）：")
        for d, k in unusual:
            typer.echo(f"  {d} {WEEKDAY[d.weekday()]} {DAY_KIND.get(k.value, k.value)}")
    except CalendarMissing as exc:
        typer.secho(f"缺少日历：{exc}", fg=typer.colors.YELLOW)
    if declared:
        typer.echo(f"{year} 年已声明录入完毕，由 {declared.by} 声明：{declared.reason}")
    for e in entries:
        typer.echo(f"  录入 {e.day} {'上班' if e.working else '休息'}，由 {e.by} 录入：{e.reason}")
    for key, row in settings.items():
        value = row.value if row else config.DEFAULTS[key]
        typer.echo(f"设置 {key}（{SETTING.get(key, key)}）= {value}{'' if row else '（默认值）'}")
    for s in schedules:
        typer.echo(f"窗口 {s.window_id}：中午值班的星期 [{s.noon_duty_weekdays}]，星期六服务时间 "
                   f"[{s.saturday_spans}]，不开窗的星期 [{s.closed_weekdays}]")
    for wd in window_days:
        typer.echo(f"窗口 {wd.window_id}：{wd.day} {WINDOW_DAY.get(wd.kind, wd.kind)}，"
                   f"由 {wd.by} 标记：{wd.reason}")


def _year_days(year: int) -> Iterator[date]:
    d = date(year, 1, 1)
    while d.year == year:
        yield d
        d = date.fromordinal(d.toordinal() + 1)


SET_AS = {"working": "录入为上班", "off": "录入为休息", "clear": "的录入清除"}


@calendar_app.command("set")
def calendar_set(days: Annotated[list[str], typer.Argument(
                     help="日期 YYYY-MM-DD（可多个），最后写 working|off|clear")],
                 by: By, reason: Why) -> None:
    """把日期录入为上班（调休补班，`working`）或休息（节假日，`off`），或清除录入（`clear`）（R5）。"""
    if len(days) < 2 or days[-1] not in ("working", "off", "clear"):
        raise fail(Invalid("请先写一个或几个日期，再写 working（上班）、off（休息）或 clear（清除）",
                           "例如 evalpad calendar set 2027-02-06 working --by 姓名 --reason 原因"))
    working = {"working": True, "off": False, "clear": None}[days[-1]]
    with open_db() as (_, session):
        dates = [as_day(d) for d in days[:-1]]
        n = config.set_calendar_days(session, clock(), dates, working, by=by, reason=reason)
    typer.echo(f"已把 {n} 个日期{SET_AS[days[-1]]}。")


@calendar_app.command("year")
def calendar_year(year: Annotated[int, typer.Argument(help="年份，如 2027")], by: By, reason: Why) -> None:
    """声明某年的节假日和调休已录入完毕；其余日期按周一至周五上班（R5）。"""
    with open_db() as (_, session):
        config.declare_year(session, clock(), year, by=by, reason=reason)
    typer.echo(f"{year} 年已声明录入完毕：没有录入的日期按平常一周（周一至周五上班）。")


@calendar_app.command("summer")
def calendar_summer(year: Annotated[int, typer.Argument(help="年份，如 2027")],
                    start: Annotated[str, typer.Argument(help="开始日期 YYYY-MM-DD（含）")],
                    end: Annotated[str, typer.Argument(help="结束日期 YYYY-MM-DD（含）")],
                    by: By, reason: Why) -> None:
    """设置某年的夏令时作息（下午 13:30 起）：从开始日期到结束日期，两头都含（R5）。"""
    with open_db() as (_, session):
        config.set_summer(session, clock(), year, as_day(start), as_day(end), by=by, reason=reason)
    typer.echo(f"{year} 年夏令时作息：{start} 至 {end}")


@calendar_app.command("window")
def calendar_window(number: Annotated[str, typer.Argument(help="窗口号，如 A07")], by: By, reason: Why,
                    noon_duty: Annotated[str, typer.Option(
                        help="中午值班的星期，0-6（0 为星期一），如 0,2")] = "",
                    saturday: Annotated[str, typer.Option(help="星期六服务时间，如 09:00-12:00")] = "",
                    closed_weekdays: Annotated[str, typer.Option(
                        help="不开窗的星期，0-6（0 为星期一）")] = "") -> None:
    """设置窗口的中午值班日、星期六服务时间和不开窗的星期（R5）。"""
    with open_db() as (_, session):
        wid = as_window(session, number)
        config.set_window_schedule(session, clock(), wid, noon_duty_weekdays=noon_duty,
                                   saturday_spans=saturday, closed_weekdays=closed_weekdays, by=by,
                                   reason=reason)
    typer.echo(f"窗口 {number}：作息时间已设置。")


@calendar_app.command("window-day")
def calendar_window_day(number: Annotated[str, typer.Argument(help="窗口号，如 A07")],
                        day: Annotated[str, typer.Argument(help="日期 YYYY-MM-DD")],
                        kind: Annotated[str, typer.Argument(help="类型：closed|noon_duty")],
                        by: By, reason: Why,
                        remove: Annotated[bool, typer.Option("--remove", help="撤销这个标记")] = False,
                        ) -> None:
    """把窗口的某一天标为不开窗（`closed`）或中午值班（`noon_duty`）（R5）。"""
    with open_db() as (_, session):
        wid = as_window(session, number)
        config.set_window_day(session, clock(), wid, as_day(day), kind, not remove, by=by, reason=reason)
    typer.echo(f"窗口 {number}：{day} {WINDOW_DAY.get(kind, kind)}，{'已撤销' if remove else '已标记'}")


@calendar_app.command("setting")
def calendar_setting(key: Annotated[str, typer.Argument(help="设置项：" + " | ".join(config.DEFAULTS))],
                     value: Annotated[str, typer.Argument(help="新的值")],
                     by: By, reason: Why) -> None:
    """修改一项规则设置，如 grace_ms（R5）、min_interval_ms（R6）、placard_categories（R5a）。"""
    with open_db() as (_, session):
        config.set_setting(session, clock(), key, value, by=by, reason=reason)
    typer.echo(f"{key} = {value}")

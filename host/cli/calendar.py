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
from host.rules.calendar import CalendarMissing, DayKind

calendar_app = Typer(help="Working days, summer schedule, window hours and rule settings (R5).",
                           no_args_is_help=True)
By = Annotated[str, typer.Option("--by", help="who makes the change (R12)")]
Why = Annotated[str, typer.Option("--reason", help="why (R12)")]


@calendar_app.command("show")
def calendar_show(year: Annotated[int, typer.Argument(help="e.g. 2027")]) -> None:
    """Working days, the operator's entries, the summer schedule and rule settings of a year (R5)."""
    with open_db() as (_, session):
        cfg = config.load_config(session)
        entries = config.calendar_entries(session, year)
        declared = config.declared_year(session, year)
        settings = config.settings_values(session)
        schedules = config.window_schedules(session)
        window_days = [wd for wd in config.window_days(session) if wd.day.year == year]
    rng, default = cfg.summer_range(year)
    typer.echo(f"summer schedule {year}: {rng.start} .. {rng.end}"
               f"{'  (shipped default: an ASSUMPTION, the source gives none)' if default else ''}")
    try:
        unusual = [(d, cfg.calendar.kind(d)) for d in _year_days(year)
                   if (cfg.calendar.kind(d) is DayKind.WORKING) == (d.weekday() >= 5)]
        typer.echo("days that differ from an ordinary week (holidays on weekdays, 调休 working weekends):")
        for d, k in unusual:
            typer.echo(f"  {d} {d:%a} {k.value}")
    except CalendarMissing as exc:
        typer.secho(f"calendar missing: {exc}", fg=typer.colors.YELLOW)
    if declared:
        typer.echo(f"year {year} declared entered by {declared.by}: {declared.reason}")
    for e in entries:
        typer.echo(f"  entry {e.day} {'working' if e.working else 'off'} by {e.by}: {e.reason}")
    for key, row in settings.items():
        value = row.value if row else config.DEFAULTS[key]
        typer.echo(f"setting {key} = {value}{'' if row else ' (default)'}")
    for s in schedules:
        typer.echo(f"window {s.window_id}: noon duty weekdays [{s.noon_duty_weekdays}] saturday "
                   f"[{s.saturday_spans}] closed weekdays [{s.closed_weekdays}]")
    for wd in window_days:
        typer.echo(f"window {wd.window_id}: {wd.day} {wd.kind} by {wd.by}: {wd.reason}")


def _year_days(year: int) -> Iterator[date]:
    d = date(year, 1, 1)
    while d.year == year:
        yield d
        d = date.fromordinal(d.toordinal() + 1)


@calendar_app.command("set")
def calendar_set(days: Annotated[list[str], typer.Argument(help="dates YYYY-MM-DD, then working|off|clear")],
                 by: By, reason: Why) -> None:
    """Enter dates as working (调休 make-up day) or off (holiday), or clear the entry (R5)."""
    if len(days) < 2 or days[-1] not in ("working", "off", "clear"):
        raise fail(Invalid("请先写一个或几个日期，再写 working（上班）、off（休息）或 clear（清除）",
                           "例如 evalpad calendar set 2027-02-06 working --by 姓名 --reason 原因"))
    working = {"working": True, "off": False, "clear": None}[days[-1]]
    with open_db() as (_, session):
        dates = [as_day(d) for d in days[:-1]]
        n = config.set_calendar_days(session, clock(), dates, working, by=by, reason=reason)
    typer.echo(f"{n} date(s) set to {days[-1]}")


@calendar_app.command("year")
def calendar_year(year: int, by: By, reason: Why) -> None:
    """Declare a year's holidays and make-up days entered; its other dates follow Mon-Fri (R5)."""
    with open_db() as (_, session):
        config.declare_year(session, clock(), year, by=by, reason=reason)
    typer.echo(f"{year} declared: dates without an entry follow the ordinary week")


@calendar_app.command("summer")
def calendar_summer(year: int, start: str, end: str, by: By, reason: Why) -> None:
    """Set the summer schedule (夏令时, afternoon from 13:30) of a year: START END inclusive (R5)."""
    with open_db() as (_, session):
        config.set_summer(session, clock(), year, as_day(start), as_day(end), by=by, reason=reason)
    typer.echo(f"summer schedule {year}: {start} .. {end}")


@calendar_app.command("window")
def calendar_window(number: str, by: By, reason: Why,
                    noon_duty: Annotated[str, typer.Option(help="weekdays 0-6 (0 = Monday), e.g. 0,2")] = "",
                    saturday: Annotated[str, typer.Option(help="Saturday hours, e.g. 09:00-12:00")] = "",
                    closed_weekdays: Annotated[str, typer.Option(help="weekdays not staffed")] = "") -> None:
    """A window's noon duty weekdays, Saturday service hours and closed weekdays (R5)."""
    with open_db() as (_, session):
        wid = as_window(session, number)
        config.set_window_schedule(session, clock(), wid, noon_duty_weekdays=noon_duty,
                                   saturday_spans=saturday, closed_weekdays=closed_weekdays, by=by,
                                   reason=reason)
    typer.echo(f"window {number}: hours set")


@calendar_app.command("window-day")
def calendar_window_day(number: str, day: str,
                        kind: Annotated[str, typer.Argument(help="closed or noon_duty")], by: By, reason: Why,
                        remove: Annotated[bool, typer.Option("--remove", help="undo the mark")] = False,
                        ) -> None:
    """Mark one date of a window as closed (not staffed) or noon duty (R5)."""
    with open_db() as (_, session):
        wid = as_window(session, number)
        config.set_window_day(session, clock(), wid, as_day(day), kind, not remove, by=by, reason=reason)
    typer.echo(f"window {number}: {day} {kind} {'removed' if remove else 'set'}")


@calendar_app.command("setting")
def calendar_setting(key: Annotated[str, typer.Argument(help=", ".join(config.DEFAULTS))], value: str,
                     by: By, reason: Why) -> None:
    """Change a rule setting: grace_ms (R5), min_interval_ms (R6), placard_categories (R5a)."""
    with open_db() as (_, session):
        config.set_setting(session, clock(), key, value, by=by, reason=reason)
    typer.echo(f"{key} = {value}")

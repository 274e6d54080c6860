"""CLI for scoring: ``evalpad report``, ``evalpad month``, ``evalpad calendar`` (R5, R8-R12).

Registered on the main app by ``register(app)`` (host/cli.py). Every change needs
``--by`` and ``--reason`` (R12); errors exit 1 with what is wrong and how to fix it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session, col, select

from host.calendar import config
from host.calendar.hours import calendar_error
from host.clock import Clock, SystemClock, local
from host.errors import ServiceError
from host.models.calendar import CalendarDay, CalendarYear, WindowDay, WindowSchedule
from host.models.fleet import Window
from host.rules.calendar import CalendarMissing
from host.rules.score import shown

report_app = typer.Typer(help="Monthly, quarterly and annual reports (R2-R5, R8-R10).", no_args_is_help=True)
month_app = typer.Typer(help="Close and reopen a month (R11).", no_args_is_help=True)
calendar_app = typer.Typer(help="Working days, summer schedule, window hours and rule settings (R5).",
                           no_args_is_help=True)

By = Annotated[str, typer.Option("--by", help="who makes the change (R12)")]
Why = Annotated[str, typer.Option("--reason", help="why (R12)")]
FORMATS = ("table", "json", "csv", "xlsx")
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table, json, csv or xlsx")]
WindowOpt = Annotated[str | None, typer.Option("--window", "-w", help="one window's detail")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="file (default stdout)")]


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
    app.add_typer(month_app, name="month")
    app.add_typer(calendar_app, name="calendar")


def clock() -> Clock:
    return SystemClock()


@contextmanager
def _db() -> Iterator[Session]:
    from host.cli_admin import load_settings
    from host.db import make_engine, upgrade

    settings = load_settings()
    upgrade(settings.db_url)
    engine = make_engine(settings.db_url)
    try:
        with Session(engine) as session:
            try:
                yield session
            except CalendarMissing as exc:
                raise _fail(calendar_error(exc))
            except ServiceError as exc:
                session.rollback()
                raise _fail(exc)
            except ValueError as exc:
                raise _fail(ServiceError(str(exc)))
    finally:
        engine.dispose()


def _fail(exc: ServiceError) -> typer.Exit:
    typer.secho(f"error: {exc.detail}", fg=typer.colors.RED, err=True)
    if exc.fix:
        typer.echo(f"  fix: {exc.fix}", err=True)
    return typer.Exit(code=1)


def _emit(data: bytes, out: Path | None) -> None:
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        out.write_bytes(data)
        typer.echo(f"wrote {out} ({len(data)} bytes)", err=True)


def _window_id(session: Session, number: str) -> int:
    w = session.exec(select(Window).where(Window.number == number)).first()
    if w is None or w.id is None:
        raise ServiceError(f"window {number!r} is not known", "list windows with `evalpad window list`")
    return w.id


@report_app.command("month")
def report_month(month: str, fmt: FormatOpt = "table", window: WindowOpt = None, out: OutOpt = None) -> None:
    """The monthly report: every component of each window's score (closed month: as fed back, R11)."""
    from host.scoring.months import month_view
    from host.scoring.view import view_json

    if fmt not in FORMATS:
        raise _fail(ServiceError(f"format {fmt!r} is not one of {', '.join(FORMATS)}"))
    with _db() as session:
        ids = [_window_id(session, window)] if window else None
        view = month_view(session, month, clock(), ids)
        if fmt == "json":
            _emit(json.dumps(view_json(view), ensure_ascii=False, indent=2).encode() + b"\n", out)
            return
        if fmt in ("csv", "xlsx"):
            from host import exports

            names = {r.window.id: f"{r.window.number} {r.window.name}" for r in view.results}
            scores = [r.score for r in view.results]
            make = exports.month_report_csv if fmt == "csv" else exports.month_report_xlsx
            if out is None and fmt == "xlsx":
                raise _fail(ServiceError("xlsx is binary", "give a file: --out report.xlsx"))
            _emit(make(scores, names, month), out)
            return
    _print_table(view)


def _print_table(view) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.table import Table

    state = view.status + (f" by {view.closed['by']} at {local(view.closed['at_ms']):%Y-%m-%d %H:%M}"
                           if view.closed else "")
    t = Table(title=f"{view.month} ({state}; facts up to {local(view.until_ms):%Y-%m-%d %H:%M})")
    for h in ("rank", "window", "V", "src", "std", "N", "S", "base", "short", "closures", "violations",
              "waived", "final"):
        t.add_column(h, justify="right" if h not in ("window", "src") else "left")
    for r in view.results:
        s = r.score
        lines = s.deductions
        t.add_row(str(r.rank or "—"), f"{r.window.number} {r.window.name}",
                  "—" if s.volume is None else str(s.volume), s.volume_source, str(s.standard), str(s.valid),
                  str(s.satisfied), shown(s.base),
                  shown(sum((d.points for d in lines if d.kind == "shortfall" and d.counts), 0) or None),
                  str(sum(1 for d in lines if d.kind == "closure" and d.counts)),
                  str(sum(1 for d in lines if d.kind not in ("closure", "shortfall") and d.counts)),
                  str(sum(1 for d in lines if not d.counts)), shown(s.final))
    console = Console(width=160)   # wide enough for every column; pipes keep it
    console.print(t)
    for a in view.assumptions:
        console.print(f"[yellow]assumption:[/] {a}")
    if len(view.results) == 1:
        (r,) = view.results
        for d in r.score.deductions:
            mark = "counts" if d.counts else f"waived: {d.waiver}"
            console.print(f"  {d.rule} {d.kind} -{shown(d.points)}  {d.detail}  [{mark}]")
        for n in r.notes:
            console.print(f"  note: {n}")
    for e in view.late_events:
        console.print(f"[red]late[/] event {e['id']} ({e['type']}) pressed {e['at_local']} "
                      f"arrived {local(e['received_ms']):%Y-%m-%d %H:%M}: counts only after a reopen (R11)")
    for c in view.late_corrections:
        moves = ", ".join(f"{m['device']}={m['window'] or '-'}" for m in c["moves"])
        console.print(f"[red]late[/] assignment correction #{c['id']} ({moves} at "
                      f"{local(c['at_ms']):%Y-%m-%d %H:%M}, by {c['by']}: {c['reason']}) re-attributes "
                      f"{len(c['events'])} event(s) of this month: counts only after a reopen (R11)")


@report_app.command("period")
def report_period(period: Annotated[str, typer.Argument(help="a quarter (2026-Q4) or a year (2026)")],
                  fmt: FormatOpt = "table") -> None:
    """Quarterly or annual view: mean of the rated monthly finals, ranked (not-rated windows left out)."""
    from host.scoring.periods import period_view
    from host.scoring.serialize import frac

    with _db() as session:
        view = period_view(session, period, clock())
        names = {w.id: f"{w.number} {w.name}" for w in session.exec(select(Window)).all()}
    if fmt == "json":
        typer.echo(json.dumps({"period": view.period, "months": view.months, "pending": view.pending,
                               "closed": view.closed,
                               "windows": [{"window_id": p.window_id, "window": names.get(p.window_id),
                                            "rank": p.rank, "months": p.months, "score": frac(p.score),
                                            "score_shown": shown(p.score)} for p in view.scores]},
                              ensure_ascii=False, indent=2))
        return
    typer.echo(f"{view.period}: months {', '.join(view.months) or '-'}"
               f"{'; not ended: ' + ', '.join(view.pending) if view.pending else ''}")
    for p in view.scores:
        typer.echo(f"{p.rank or '—':>4}  {names.get(p.window_id, p.window_id)!s:<30} {shown(p.score):>5}"
                   f"  ({len(p.months)} rated month(s))")


@month_app.command("close")
def month_close(month: str, by: By, reason: Why = "") -> None:
    """Close a month: the report as it stands is what is fed back to each window (R11)."""
    from host.scoring.months import close_month

    with _db() as session:
        action = close_month(session, month, clock(), by=by, reason=reason)
        typer.echo(f"{month} closed by {by} at {local(action.at_ms):%Y-%m-%d %H:%M:%S}")


@month_app.command("reopen")
def month_reopen(month: str, by: By, reason: Why) -> None:
    """Reopen a closed month: late events and new decisions count again (R11); logged."""
    from host.scoring.months import reopen_month

    with _db() as session:
        reopen_month(session, month, clock(), by=by, reason=reason)
        typer.echo(f"{month} reopened by {by}")


@month_app.command("status")
def month_status(month: str) -> None:
    """The close/reopen log of a month."""
    from host.scoring.months import history

    with _db() as session:
        rows = history(session, month)
    if not rows:
        typer.echo(f"{month}: open (never closed)")
    for a in rows:
        typer.echo(f"{local(a.at_ms):%Y-%m-%d %H:%M:%S}  {a.action:<6} by {a.by}: {a.reason}")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _fail(ServiceError(f"date {text!r}: write YYYY-MM-DD, e.g. 2027-02-06"))


@calendar_app.command("show")
def calendar_show(year: Annotated[int, typer.Argument(help="e.g. 2027")]) -> None:
    """Working days, the operator's entries, the summer schedule and rule settings of a year (R5)."""
    from host.calendar.config import load_config, settings_values
    from host.rules.calendar import DayKind

    with _db() as session:
        cfg = load_config(session)
        entries = session.exec(select(CalendarDay).where(col(CalendarDay.day) >= date(year, 1, 1),
                                                         col(CalendarDay.day) <= date(year, 12, 31))
                               .order_by(col(CalendarDay.day))).all()
        declared = session.get(CalendarYear, year)
        settings = settings_values(session)
        schedules = session.exec(select(WindowSchedule)).all()
        window_days = session.exec(select(WindowDay).order_by(col(WindowDay.day))).all()
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
        if wd.day.year == year:
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
        raise _fail(ServiceError("give one or more dates and then working, off or clear",
                                 "e.g. evalpad calendar set 2027-02-06 working --by NAME --reason ..."))
    dates = [_date(d) for d in days[:-1]]
    working = {"working": True, "off": False, "clear": None}[days[-1]]
    with _db() as session:
        n = config.set_calendar_days(session, clock(), dates, working, by=by, reason=reason)
        session.commit()
    typer.echo(f"{n} date(s) set to {days[-1]}")


@calendar_app.command("year")
def calendar_year(year: int, by: By, reason: Why) -> None:
    """Declare a year's holidays and make-up days entered; its other dates follow Mon-Fri (R5)."""
    with _db() as session:
        config.declare_year(session, clock(), year, by=by, reason=reason)
        session.commit()
    typer.echo(f"{year} declared: dates without an entry follow the ordinary week")


@calendar_app.command("summer")
def calendar_summer(year: int, start: str, end: str, by: By, reason: Why) -> None:
    """Set the summer schedule (夏令时, afternoon from 13:30) of a year: START END inclusive (R5)."""
    with _db() as session:
        config.set_summer(session, clock(), year, _date(start), _date(end), by=by, reason=reason)
        session.commit()
    typer.echo(f"summer schedule {year}: {start} .. {end}")


@calendar_app.command("window")
def calendar_window(number: str, by: By, reason: Why,
                    noon_duty: Annotated[str, typer.Option(help="weekdays 0-6 (0 = Monday), e.g. 0,2")] = "",
                    saturday: Annotated[str, typer.Option(help="Saturday hours, e.g. 09:00-12:00")] = "",
                    closed_weekdays: Annotated[str, typer.Option(help="weekdays not staffed")] = "") -> None:
    """A window's noon duty weekdays, Saturday service hours and closed weekdays (R5)."""
    with _db() as session:
        wid = _window_id(session, number)
        config.set_window_schedule(session, clock(), wid, noon_duty_weekdays=noon_duty,
                                   saturday_spans=saturday, closed_weekdays=closed_weekdays, by=by,
                                   reason=reason)
        session.commit()
    typer.echo(f"window {number}: hours set")


@calendar_app.command("window-day")
def calendar_window_day(number: str, day: str,
                        kind: Annotated[str, typer.Argument(help="closed or noon_duty")], by: By, reason: Why,
                        remove: Annotated[bool, typer.Option("--remove", help="undo the mark")] = False,
                        ) -> None:
    """Mark one date of a window as closed (not staffed) or noon duty (R5)."""
    with _db() as session:
        wid = _window_id(session, number)
        config.set_window_day(session, clock(), wid, _date(day), kind, not remove, by=by, reason=reason)
        session.commit()
    typer.echo(f"window {number}: {day} {kind} {'removed' if remove else 'set'}")


@calendar_app.command("setting")
def calendar_setting(key: Annotated[str, typer.Argument(help=", ".join(config.DEFAULTS))], value: str,
                     by: By, reason: Why) -> None:
    """Change a rule setting: grace_ms (R5), min_interval_ms (R6), placard_categories (R5a)."""
    with _db() as session:
        config.set_setting(session, clock(), key, value, by=by, reason=reason)
        session.commit()
    typer.echo(f"{key} = {value}")

"""What every `evalpad` command shares: the settings, the database, who acts, how an error is
said, and the parsers of what an operator types.

An error is said one way everywhere: ``错误：`` what is wrong, ``办法：`` how to fix it, on
standard error, exit 1 (2: the host's own settings or files). The parsers are those the API
and the pages check by (host.rules.month_span for months and periods, host.clock for days
and moments, host.fleet for window numbers), so an input the API refuses the CLI refuses too.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated

import typer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from host import fleet
from host.calendar.hours import calendar_error
from host.clock import Clock, SystemClock, local, parse_day, parse_time
from host.db import make_engine, upgrade
from host.errors import Invalid, ServiceError
from host.rules.calendar import CalendarMissing
from host.rules.month_span import parse_month, period_months
from host.settings import BadSettings, Settings, from_env

CLOCK: Clock = SystemClock()


def clock() -> Clock:
    """The clock every command reads (a test sets ``host.cli.common.CLOCK``)."""
    return CLOCK


# Options several commands take, spelt the same everywhere.
Reason = Annotated[str, typer.Option("--reason", "-r", help="原因（记入审计记录，R12）。")]
By = Annotated[str | None, typer.Option("--by", help="操作人（默认 `cli:<系统用户>`，R12）")]
WindowOpt = Annotated[str | None, typer.Option("--window", "-w", help="窗口号，如 A07")]
Window = Annotated[str, typer.Option("--window", "-w", help="窗口号，如 A07")]
MonthOpt = Annotated[str | None, typer.Option("--month", "-m", help="月份 YYYY-MM，如 2026-10")]
Month = Annotated[str, typer.Option("--month", "-m", help="月份 YYYY-MM，如 2026-10")]
DeviceOpt = Annotated[str | None, typer.Option("--device", "-d", help="评价器编号")]
AllOpt = Annotated[bool, typer.Option("--all", help="包括已停用的")]


def say_error(detail: str, fix: str = "") -> None:
    typer.secho(f"错误：{detail}", fg=typer.colors.RED, err=True)
    if fix:
        typer.echo(f"  办法：{fix}", err=True)


def fail(exc: Exception, code: int = 1) -> typer.Exit:
    """Say what is wrong (and, for a ServiceError, how to fix it); the Exit to raise."""
    if isinstance(exc, ServiceError):
        say_error(exc.detail, exc.fix)
    else:
        say_error(str(exc))
    return typer.Exit(code=code)


def load_settings() -> Settings:
    """Settings from EVALPAD_* and .env; a bad value exits 2 naming the variable."""
    try:
        return from_env()
    except BadSettings as exc:
        say_error(f"设置有误：{exc.detail}", "改正上面点名的 EVALPAD_* 环境变量（或 .env 文件）后重试")
        raise typer.Exit(code=2) from None


@contextmanager
def open_db() -> Iterator[tuple[Settings, Session]]:
    """Settings, the database brought to the newest schema, and a session. A ServiceError, a
    missing calendar (R5) or a bad value raised inside is said as an error (exit 1) after the
    session is rolled back: nothing of a refused command is stored."""
    settings = load_settings()
    upgrade(settings.db_url)
    engine = make_engine(settings.db_url)
    try:
        with Session(engine) as session:
            try:
                yield settings, session
            except (ServiceError, CalendarMissing, ValueError) as exc:
                session.rollback()
                if isinstance(exc, CalendarMissing):
                    exc = calendar_error(exc)
                raise fail(exc) from None
    finally:
        engine.dispose()


def engine_of(session: Session) -> Engine:
    """The engine under ``open_db``'s session, for services that open their own sessions (replay)."""
    bind = session.get_bind()
    assert isinstance(bind, Engine)
    return bind


def actor(by: str | None = None) -> str:
    """Who acts, for the audit trail (R12): ``--by`` where a person's name matters, else the OS user."""
    return by or f"cli:{getpass.getuser()}"


def when(ms: int | None) -> str:
    return local(ms).strftime("%Y-%m-%d %H:%M:%S") if ms is not None else "-"


# -- what an operator types ------------------------------------------------------------------

def as_month(text: str) -> str:
    """A month key, as the API takes it: 2026-10."""
    try:
        parse_month(text)
    except ValueError as exc:
        raise Invalid(str(exc), "月份写成 YYYY-MM，如 2026-10") from None
    return text


def as_period(text: str) -> str:
    """A quarter (2026-Q4) or a year (2026), as the API takes it."""
    try:
        period_months(text)
    except ValueError as exc:
        raise Invalid(str(exc), "写成季度或年份，如 2026-Q4 或 2026") from None
    return text


def as_day(text: str) -> date:
    try:
        return parse_day(text)
    except ValueError as exc:
        raise Invalid(str(exc), "日期写成 YYYY-MM-DD，如 2027-02-06") from None


def as_moment(text: str | None, option: str) -> int | None:
    """An operator's time option -> Unix ms (host.clock.parse_time: wall time in Asia/Shanghai,
    ISO times, Unix ms as the API takes them); a bad one names the option and the forms that work."""
    if text is None:
        return None
    try:
        return parse_time(text)
    except ValueError as exc:
        raise Invalid(f"{option}：{exc}", f"写成日期和时间，如 {option} '2026-11-25 08:00:30'") from None


def as_window(session: Session, number: str) -> int:
    """The window's id by its number (e.g. A07); an unknown number says how to list them."""
    win = fleet.get_window(session, number)
    assert win.id is not None
    return win.id


def output_format(fmt: str, allowed: tuple[str, ...] = ("csv", "xlsx")) -> str:
    if fmt not in allowed:
        raise Invalid(f"格式 {fmt!r} 不是 {'、'.join(allowed)} 之一", f"请用 --format {allowed[0]}")
    return fmt

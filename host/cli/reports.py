"""`evalpad report month|period` and `evalpad month close|reopen|status`: the scores (R2-R5,
R8-R11). Closing and reopening need ``--by`` and ``--reason`` (R12)."""

from __future__ import annotations

import json
import sys
from fractions import Fraction
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from host import exports, fleet
from host.cli.common import as_month, as_period, as_window, clock, open_db, output_format
from host.cli.tables import fitted
from host.cli.zh import Typer
from host.clock import local
from host.errors import ServiceError
from host.rules.score import shown
from host.scoring.months import close_month, history, month_view, reopen_month
from host.scoring.periods import period_view
from host.scoring.serialize import frac
from host.scoring.view import MonthView, view_json

report_app = Typer(help="月度、季度和年度报表（R2-R5、R8-R10）。", no_args_is_help=True)
month_app = Typer(help="月度关账与重新开账（R11）。", no_args_is_help=True)

By = Annotated[str, typer.Option("--by", help="操作人（R12）")]
Why = Annotated[str, typer.Option("--reason", help="原因（R12）")]
FORMATS = ("table", "json", "csv", "xlsx")
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="格式：table|json|csv|xlsx")]
WindowOpt = Annotated[str | None, typer.Option("--window", "-w", help="只看这个窗口的明细")]
MonthArg = Annotated[str, typer.Argument(help="月份 YYYY-MM，如 2026-10")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="输出文件（默认输出到屏幕）")]


def _emit(data: bytes, out: Path | None) -> None:
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        out.write_bytes(data)
        typer.echo(f"wrote {out} ({len(data)} bytes)", err=True)


@report_app.command("month")
def report_month(month: MonthArg, fmt: FormatOpt = "table", window: WindowOpt = None,
                 out: OutOpt = None) -> None:
    """月度报表：各窗口得分的每一项（已关账的月份按反馈时的结果，R11）。"""
    with open_db() as (_, session):
        output_format(fmt, FORMATS)
        ids = [as_window(session, window)] if window else None
        view = month_view(session, as_month(month), clock(), ids)
        if fmt == "json":
            _emit(json.dumps(view_json(view), ensure_ascii=False, indent=2).encode() + b"\n", out)
            return
        if fmt in ("csv", "xlsx"):
            names = {r.window.id: f"{r.window.number} {r.window.name}" for r in view.results}
            scores = [r.score for r in view.results]
            make = exports.month_report_csv if fmt == "csv" else exports.month_report_xlsx
            if out is None and fmt == "xlsx":
                raise ServiceError("xlsx 是二进制文件，不能直接显示在屏幕上",
                                   "请指定保存的文件：--out report.xlsx")
            _emit(make(scores, names, month), out)
            return
    _print_table(view)


def _print_table(view: MonthView) -> None:
    state = view.status + (f" by {view.closed['by']} at {local(view.closed['at_ms']):%Y-%m-%d %H:%M}"
                           if view.closed else "")
    t = Table(title=f"{view.month} ({state}; facts up to {local(view.until_ms):%Y-%m-%d %H:%M})")
    for h in ("rank", "window", "V", "src", "std", "N", "S", "base", "short", "closures", "violations",
              "waived", "final"):
        t.add_column(h, justify="right" if h not in ("window", "src") else "left")
    for r in view.results:
        s = r.score
        lines = s.deductions
        short = sum((d.points for d in lines if d.kind == "shortfall" and d.counts), Fraction(0))
        t.add_row(str(r.rank or "—"), f"{r.window.number} {r.window.name}",
                  "—" if s.volume is None else str(s.volume), s.volume_source, str(s.standard), str(s.valid),
                  str(s.satisfied), shown(s.base),
                  shown(short or None),
                  str(sum(1 for d in lines if d.kind == "closure" and d.counts)),
                  str(sum(1 for d in lines if d.kind not in ("closure", "shortfall") and d.counts)),
                  str(sum(1 for d in lines if not d.counts)), shown(s.final))
    console = Console()            # the terminal's width (COLUMNS); too narrow: one block per window
    console.print(fitted(console, t))
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
def report_period(period: Annotated[str, typer.Argument(help="季度（2026-Q4）或年份（2026）")],
                  fmt: FormatOpt = "table") -> None:
    """季度或年度汇总：各月最终得分的平均分并排名（未参评的窗口不列入）。"""
    with open_db() as (_, session):
        view = period_view(session, as_period(period), clock())
        names = fleet.window_names(session)
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
def month_close(month: MonthArg, by: By, reason: Why = "") -> None:
    """关账：以当前报表作为反馈给各窗口的结果（R11）。"""
    with open_db() as (_, session):
        action = close_month(session, as_month(month), clock(), by=by, reason=reason)
        typer.echo(f"{month} closed by {by} at {local(action.at_ms):%Y-%m-%d %H:%M:%S}")


@month_app.command("reopen")
def month_reopen(month: MonthArg, by: By, reason: Why) -> None:
    """重新开账：迟到的事件和新的审核决定重新计入（R11）；操作记入日志。"""
    with open_db() as (_, session):
        reopen_month(session, as_month(month), clock(), by=by, reason=reason)
        typer.echo(f"{month} reopened by {by}")


@month_app.command("status")
def month_status(month: MonthArg) -> None:
    """查看某月的关账与重新开账记录。"""
    with open_db() as (_, session):
        rows = history(session, as_month(month))
    if not rows:
        typer.echo(f"{month}: open (never closed)")
    for a in rows:
        typer.echo(f"{local(a.at_ms):%Y-%m-%d %H:%M:%S}  {a.action:<6} by {a.by}: {a.reason}")

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
from host.labels import DEDUCTION, EVENT_TYPE, MONTH_STATUS, VOLUME_SOURCE
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


# The month table's columns: rank, window, V and its source (R3), the standard number, valid and
# satisfied evaluations (R2), the base score, the shortfall, closures (R5), violations (R6),
# waived items (R8), the final score.
COLUMNS = ("名次", "窗口", "受理量", "来源", "标准数", "有效评价", "满意", "基础分", "不足扣分", "关闭",
           "违规", "免扣", "最终得分")
ACTION = {"close": "关账", "reopen": "重新开账"}


def _emit(data: bytes, out: Path | None) -> None:
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        out.write_bytes(data)
        typer.echo(f"已写入 {out}（{len(data)} 字节）", err=True)


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
    state = MONTH_STATUS.get(view.status, view.status) + (
        f"，{view.closed['by']} 于 {local(view.closed['at_ms']):%Y-%m-%d %H:%M} 关账" if view.closed else "")
    t = Table(title=f"{view.month}（{state}；数据截至 {local(view.until_ms):%Y-%m-%d %H:%M}）")
    for h in COLUMNS:
        t.add_column(h, justify="left" if h in ("窗口", "来源") else "right")
    for r in view.results:
        s = r.score
        lines = s.deductions
        short = sum((d.points for d in lines if d.kind == "shortfall" and d.counts), Fraction(0))
        t.add_row(str(r.rank or "—"), f"{r.window.number} {r.window.name}",
                  "—" if s.volume is None else str(s.volume),
                  VOLUME_SOURCE.get(s.volume_source, s.volume_source), str(s.standard), str(s.valid),
                  str(s.satisfied), shown(s.base),
                  shown(short or None),
                  str(sum(1 for d in lines if d.kind == "closure" and d.counts)),
                  str(sum(1 for d in lines if d.kind not in ("closure", "shortfall") and d.counts)),
                  str(sum(1 for d in lines if not d.counts)), shown(s.final))
    console = Console()            # the terminal's width (COLUMNS); too narrow: one block per window
    console.print(fitted(console, t))
    for a in view.assumptions:
        console.print(f"[yellow]假定：[/]{a}")
    if len(view.results) == 1:
        (r,) = view.results
        for d in r.score.deductions:
            mark = "扣分" if d.counts else f"已免扣：{d.waiver}"
            console.print(f"  {d.rule} {DEDUCTION.get(d.kind, d.kind)} -{shown(d.points)}  {d.detail}"
                          f"（{mark}）")
        for n in r.notes:
            console.print(f"  说明：{n}")
    for e in view.late_events:
        console.print(f"[red]迟到[/] 事件 {e['id']}（{EVENT_TYPE.get(e['type'], e['type'])}），"
                      f"按键时间 {e['at_local']}，"
                      f"{local(e['received_ms']):%Y-%m-%d %H:%M} 才到达：重新开账后才计入（R11）")
    for c in view.late_corrections:
        moves = ", ".join(f"{m['device']}={m['window'] or '-'}" for m in c["moves"])
        console.print(f"[red]迟到[/] 分配更正 #{c['id']}（{moves}，时间 {local(c['at_ms']):%Y-%m-%d %H:%M}，"
                      f"由 {c['by']} 记录：{c['reason']}）把本月 {len(c['events'])} 条事件改归别的窗口："
                      "重新开账后才计入（R11）")


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
    typer.echo(f"{view.period}：月份 {'、'.join(view.months) or '-'}"
               f"{'；尚未结束：' + '、'.join(view.pending) if view.pending else ''}")
    for p in view.scores:
        typer.echo(f"{p.rank or '—':>4}  {names.get(p.window_id, p.window_id)!s:<30} {shown(p.score):>5}"
                   f"  （参评 {len(p.months)} 个月）")


@month_app.command("close")
def month_close(month: MonthArg, by: By, reason: Why = "") -> None:
    """关账：以当前报表作为反馈给各窗口的结果（R11）。"""
    with open_db() as (_, session):
        action = close_month(session, as_month(month), clock(), by=by, reason=reason)
        typer.echo(f"{month} 已关账：{by}，{local(action.at_ms):%Y-%m-%d %H:%M:%S}")


@month_app.command("reopen")
def month_reopen(month: MonthArg, by: By, reason: Why) -> None:
    """重新开账：迟到的事件和新的审核决定重新计入（R11）；操作记入日志。"""
    with open_db() as (_, session):
        reopen_month(session, as_month(month), clock(), by=by, reason=reason)
        typer.echo(f"{month} 已重新开账：{by}")


@month_app.command("status")
def month_status(month: MonthArg) -> None:
    """查看某月的关账与重新开账记录。"""
    with open_db() as (_, session):
        rows = history(session, as_month(month))
    if not rows:
        typer.echo(f"{month}：未关账（从未关账）")
    for a in rows:
        typer.echo(f"{local(a.at_ms):%Y-%m-%d %H:%M:%S}  {ACTION.get(a.action, a.action)}  "
                   f"{a.by}：{a.reason}")

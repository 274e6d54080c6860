"""`evalpad volume|violations|faults|waive …`: the management and IT sections' review work.

Same service functions as the API (host.volume, host.violations, host.faults, host.waivers);
every decision is audited with who, when and why (R12). The actor is ``--by NAME`` where a
person's name matters (a reviewer, R6), else ``cli:<os user>``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from host import exports, faults, fleet, violations, volume, waivers
from host.cli.common import (
    By,
    DeviceOpt,
    Month,
    MonthOpt,
    Reason,
    Window,
    WindowOpt,
    actor,
    as_moment,
    as_month,
    as_window,
    clock,
    fail,
    open_db,
    output_format,
    when,
)
from host.cli.zh import Typer
from host.clock import TIME_FORMS
from host.errors import Invalid
from host.labels import (
    DEDUCTION,
    FAULT_STATUS,
    FAULT_VERDICT,
    VIOLATION_SOURCE,
    VIOLATION_STATUS,
    VOLUME_SOURCE,
    fault_code,
)
from host.rules.month_span import month_span
from host.rules.types import Span

volume_app = Typer(help="月度业务受理量（R3）：导入业务系统的导出文件。",
                         no_args_is_help=True)
violations_app = Typer(
    help="违规线索（R6）：检测、上报、列出、确认、驳回、导出。", no_args_is_help=True)
faults_app = Typer(help="信息技术科的报修记录（R7）：同步、报修、受理、处理完毕、汇总、导出。",
                         no_args_is_help=True)
waive_app = Typer(help="管理科对单项扣分的免扣（R8）。", no_args_is_help=True)

Format = Annotated[str, typer.Option("--format", "-f", help="格式：csv|xlsx")]
StatusOpt = Annotated[str | None, typer.Option(help="状态：open|confirmed|dismissed|withdrawn")]
KindOpt = Annotated[str | None, typer.Option(
    help="类型：no_prompt|refused|consecutive|self_eval|stuck_button")]
CandidateArg = Annotated[int, typer.Argument(help="线索编号（见 `list`）")]
Out = Annotated[Path, typer.Option("--out", "-o", help="写入的文件")]


def _counted(counts: dict[str, int], labels: dict[str, str]) -> str:
    """``待处理 2 条，已修复 5 条`` from counts by code."""
    return "，".join(f"{labels.get(k, k)} {n} 条" for k, n in counts.items()) or "无"


def _window_id(session: Session, number: str | None) -> int | None:
    return as_window(session, number) if number is not None else None


# -- volume (R3) ------------------------------------------------------------------------------------

@volume_app.command("import")
def volume_import(file: Annotated[Path, typer.Argument(help="业务系统导出的 CSV 或 Excel 文件")],
                  preview: Annotated[bool, typer.Option(
        "--preview", help="只检查并显示，不保存")] = False, by: By = None) -> None:
    """导入 CSV 或 Excel 文件（窗口号、月份、业务受理量）。只要有一行出错，就全部不导入。"""
    if not file.is_file():
        raise fail(Invalid(f"{file} 不是文件", "请给出业务系统导出文件的路径"))
    with open_db() as (_, session):
        try:
            report = volume.import_volume(session, file.name, file.read_bytes(), by=actor(by),
                                          now_ms=clock().now_ms(), preview=preview)
        except volume.VolumeImportError as exc:
            for e in exc.errors:
                typer.echo(f"  {e}", err=True)
            raise fail(Invalid(f"{file.name}：有 {len(exc.errors)} 行出错（见上）；未导入"
                               "任何数据", "改正这些行后重新导入整个文件"
                               "（加 --preview 只检查不保存）")) from None
        for r in report.rows:
            typer.echo(f"第 {r.row:>4} 行  {r.window:<8} {r.month}  {r.volume}")
        for e in report.errors:
            typer.secho(f"  {e}", fg=typer.colors.RED, err=True)
        if preview:
            typer.echo(f"预览：{len(report.rows)} 行无误，{len(report.errors)} 处错误；未保存任何数据。")
            if report.errors:
                raise typer.Exit(code=1)
        else:
            typer.echo(f"已从 {file.name} 导入 {len(report.rows)} 行（导入批次 #{report.import_id}）。")


@volume_app.command("show")
def volume_show(window: Window, month: Month) -> None:
    """查看某窗口某月的业务受理量 V 及其来源（`import` 导入、`queue` 叫号、`none` 无）。"""
    with open_db() as (_, session):
        wid = as_window(session, window)
        v, source = volume.volume_for(session, wid, as_month(month))
        typer.echo(f"{window} {month}：受理量 V = {'-' if v is None else v}"
                   f"（来源：{VOLUME_SOURCE.get(source, source)}）")


# -- violations (R6) --------------------------------------------------------------------------------

@violations_app.command("detect")
def violations_detect(month: Month, window: WindowOpt = None) -> None:
    """检测某月的违规线索（全部在用窗口，或指定一个）；可重复运行。"""
    with open_db() as (_, session):
        wid = _window_id(session, window)
        done = violations.detect_month(session, as_month(month), now_ms=clock().now_ms(),
                                       window_ids=[wid] if wid is not None else None)
        for w in done.warnings:
            typer.secho(f"警告：{w}", fg=typer.colors.YELLOW, err=True)
        added = sum(r.added for r in done.results.values())
        withdrawn = sum(r.withdrawn for r in done.results.values())
        typer.echo(f"{month}：检查窗口 {len(done.results)} 个，新增线索 {added} 条，撤回 {withdrawn} 条。")


@violations_app.command("list")
def violations_list(month: MonthOpt = None, window: WindowOpt = None,
                    status: StatusOpt = None, kind: KindOpt = None) -> None:
    """列出违规线索及其证据（事件编号）和审核进度。"""
    with open_db() as (_, session):
        names = fleet.window_names(session)
        rows = violations.list_candidates(session, window_id=_window_id(session, window),
                                          month=as_month(month) if month else None, status=status, kind=kind)
        for c in rows:
            typer.echo(f"#{c.id:<5} {when(c.at_ms)}  {names.get(c.window_id, c.window_id)!s:<16} "
                       f"{DEDUCTION.get(c.kind, c.kind):<8} {VIOLATION_STATUS.get(c.status, c.status):<4} "
                       f"事件 {','.join(map(str, c.evidence)) or '-'}  "
                       f"{c.detail}")
        typer.echo(f"共 {len(rows)} 条线索。")


@violations_app.command("report")
def violations_report(
        window: Window,
        kind: Annotated[str, typer.Option(help="类型：no_prompt|refused|consecutive|self_eval")],
        source: Annotated[str, typer.Option(help="来源：complaint|patrol（投诉或巡查）")],
        detail: Annotated[str, typer.Option("--detail", help="看到或被投诉的情况")],
        at: Annotated[str | None, typer.Option(help=f"发生时间（默认现在）：{TIME_FORMS}")] = None,
        event: Annotated[int | None, typer.Option(
            help="相关评价的事件编号（`consecutive` 和 `self_eval` 必填：确认后该评价作废）")]
        = None,
        by: By = None) -> None:
    """根据投诉或巡查记录上报违规线索（R6）；仍需审核确认。"""
    with open_db() as (_, session):
        wid = as_window(session, window)
        now = clock().now_ms()
        at_ms = as_moment(at, "--at")
        c = violations.report(session, window_id=wid, kind=kind, at_ms=now if at_ms is None else at_ms,
                              by=actor(by), source=source, detail=detail, now_ms=now,
                              subject_event_id=event)
        typer.echo(f"线索 #{c.id}（{DEDUCTION.get(c.kind, c.kind)}，"
                   f"{VIOLATION_SOURCE.get(c.source, c.source)}），"
                   f"{when(c.at_ms)}，窗口 {window}：待审核，请确认或驳回"
                   f"（evalpad violations confirm|dismiss {c.id} --reason …）")


def _decide(candidate_id: int, decision: str, reason: str, by: str | None) -> None:
    with open_db() as (_, session):
        row = violations.decide(session, candidate_id, decision, reviewer=actor(by), reason=reason,
                                now_ms=clock().now_ms())
        typer.echo(f"线索 #{row.id}（{DEDUCTION.get(row.kind, row.kind)}）："
                   f"{VIOLATION_STATUS.get(row.status, row.status)}")


@violations_app.command("confirm")
def violations_confirm(candidate_id: CandidateArg, reason: Reason, by: By = None) -> None:
    """确认线索：扣分；连续评价或自行评价还会作废相应的评价（R2）。"""
    _decide(candidate_id, "confirm", reason, by)


@violations_app.command("dismiss")
def violations_dismiss(candidate_id: CandidateArg, reason: Reason, by: By = None) -> None:
    """驳回线索：不扣分。"""
    _decide(candidate_id, "dismiss", reason, by)


@violations_app.command("export")
def violations_export(month: Month, out: Out, fmt: Format = "xlsx") -> None:
    """把某月的违规线索及审核决定导出为可打印的表格（中文表头）。"""
    with open_db() as (_, session):
        data, n = violations.export_month(session, as_month(month), output_format(fmt), clock().now_ms())
        out.write_bytes(data)
        typer.echo(f"已把 {n} 条线索写入 {out}")


# -- faults (R7) ------------------------------------------------------------------------------------

@faults_app.command("sync")
def faults_sync(days: Annotated[int, typer.Option(help="往前检查的天数")] = 1) -> None:
    """根据评价器事件（自检、工作人员报修、看门狗重启）和大面积离线生成报修记录。"""
    with open_db() as (_, session):
        now = clock().now_ms()
        span = Span(now - days * 86_400_000, now + 1)
        opened = faults.sync_pad_events(session, span, now_ms=now)
        outages = faults.detect_outages(session, span, now_ms=now)
        typer.echo(f"按评价器上报新建报修 {opened} 条；网络故障（多台同时离线）{len(outages)} 次。")


@faults_app.command("list")
def faults_list(status: Annotated[str | None, typer.Option(help="状态：open|acknowledged|resolved")] = None,
                device: DeviceOpt = None,
                window: WindowOpt = None) -> None:
    """列出报修记录。"""
    with open_db() as (_, session):
        names = fleet.window_names(session)
        rows = faults.list_faults(session, status=status, device_id=device,
                                  window_id=_window_id(session, window))
        for f in rows:
            where = f.device_id or ",".join(f.devices)
            win = names.get(f.window_id, "") if f.window_id else ""
            first = f.detail.splitlines()[0] if f.detail else ""
            typer.echo(f"#{f.id:<5} {when(f.started_ms)}  {where:<12} {win:<16} {fault_code(f.code):<10} "
                       f"{FAULT_STATUS.get(f.status, f.status):<4} "
                       f"{FAULT_VERDICT.get(f.verdict, f.verdict) if f.verdict else '-':<6} "
                       f"{f.repeats + 1} 次  {first}")
        typer.echo(f"共 {len(rows)} 条报修。")


@faults_app.command("report")
def faults_report(detail: Annotated[str, typer.Option("--detail", help="故障情况")],
                  window: WindowOpt = None, device: DeviceOpt = None,
                  since: Annotated[str | None, typer.Option(help=f"开始时间：{TIME_FORMS}")] = None,
                  by: By = None) -> None:
    """人工报修评价器故障（写明评价器或所在窗口）。"""
    with open_db() as (_, session):
        f = faults.report_fault(session, by=actor(by), detail=detail, now_ms=clock().now_ms(),
                                device_id=device, window_id=_window_id(session, window),
                                started_ms=as_moment(since, "--since"))
        typer.echo(f"报修 #{f.id} {FAULT_STATUS.get(f.status, f.status)}（评价器 {f.device_id or '-'}，"
                   f"重复 {f.repeats} 次）")


@faults_app.command("ack")
def faults_ack(fault_id: Annotated[int, typer.Argument(help="报修编号（见 `list`）")],
               assignee: Annotated[str | None, typer.Option(help="维修人")] = None,
               note: Annotated[str, typer.Option(help="备注")] = "", by: By = None) -> None:
    """信息技术科受理报修（`open` 变为 `acknowledged`）。"""
    with open_db() as (_, session):
        f = faults.acknowledge(session, fault_id, by=actor(by), assignee=assignee, note=note,
                               now_ms=clock().now_ms())
        typer.echo(f"报修 #{f.id} 已受理，维修人 {f.assignee}")


@faults_app.command("resolve")
def faults_resolve(fault_id: Annotated[int, typer.Argument(help="报修编号（见 `list`）")],
                   verdict: Annotated[str, typer.Option(help="结论：" + "|".join(faults.VERDICTS))],
                   notes: Annotated[str, typer.Option(help="维修记录")],
                   cleared: Annotated[str | None, typer.Option(help=f"故障结束时间：{TIME_FORMS}")] = None,
                   by: By = None) -> None:
    """信息技术科给出结论，结束报修（结论为 `pad_fault` 时，免扣与其重叠的扣分，R7）。"""
    with open_db() as (_, session):
        f = faults.resolve(session, fault_id, by=actor(by), verdict=verdict, notes=notes,
                           now_ms=clock().now_ms(), cleared_ms=as_moment(cleared, "--cleared"))
        typer.echo(f"报修 #{f.id} 已处理完毕：{FAULT_VERDICT.get(f.verdict or '', f.verdict)}")


@faults_app.command("summary")
def faults_summary(month: Month) -> None:
    """某月新增报修的汇总：按状态和结论统计、平均修复时间（MTTR）、每台评价器的报修数。"""
    with open_db() as (_, session):
        s = faults.summary(session, month_span(as_month(month)))
        mttr = f"{s.mttr_ms / 60_000:.0f} 分钟" if s.mttr_ms is not None else "-"
        typer.echo(f"{month}：报修 {s.total} 条，已修复 {s.resolved} 条，平均修复时间（MTTR）{mttr}")
        typer.echo("  按状态：" + _counted(s.by_status, FAULT_STATUS))
        typer.echo("  按结论：" + _counted(s.by_verdict, {**FAULT_VERDICT, "none": "未下结论"}))
        for pad, n in s.per_pad.items():
            typer.echo(f"  {pad:<14} {n}")


@faults_app.command("export")
def faults_export(out: Out, month: MonthOpt = None, fmt: Format = "xlsx") -> None:
    """把报修记录（或某月的）导出为可打印的表格（中文表头）。"""
    with open_db() as (_, session):
        span = month_span(as_month(month)) if month else None
        rows = faults.list_faults(session, since_ms=span.start_ms if span else None,
                                  until_ms=span.end_ms if span else None)
        write = exports.fault_log_csv if output_format(fmt) == "csv" else exports.fault_log_xlsx
        data = write(rows, fleet.window_names(session))
        out.write_bytes(data)
        typer.echo(f"已把 {len(rows)} 条报修写入 {out}")


# -- waivers (R8) -----------------------------------------------------------------------------------

@waive_app.command("add")
def waive_add(window: Window, month: Month,
              key: Annotated[str, typer.Option(help="扣分项的代码（见月度报表）")],
              reason: Reason, by: By = None) -> None:
    """免扣某窗口某月的一项扣分，须写明原因。"""
    with open_db() as (_, session):
        wid = as_window(session, window)
        w = waivers.create_waiver(session, window_id=wid, month=as_month(month), key=key, reason=reason,
                                  by=actor(by), now_ms=clock().now_ms())
        typer.echo(f"免扣 #{w.id}：{w.key} 不再扣分")


@waive_app.command("list")
def waive_list(month: MonthOpt = None, window: WindowOpt = None,
               all_: Annotated[bool, typer.Option("--all", help="包括已撤销的")] = False) -> None:
    """列出免扣记录。"""
    with open_db() as (_, session):
        for w in waivers.list_waivers(session, window_id=_window_id(session, window),
                                      month=as_month(month) if month else None, include_revoked=all_):
            state = f"已被 {w.revoked_by} 撤销" if w.revoked_ms else "有效"
            typer.echo(f"#{w.id:<5} {w.key:<40} {state:<20} {w.by}: {w.reason}")


@waive_app.command("revoke")
def waive_revoke(waiver_id: Annotated[int, typer.Argument(help="免扣编号（见 `list`）")], reason: Reason,
                 by: By = None) -> None:
    """撤销免扣：该项扣分重新计入。"""
    with open_db() as (_, session):
        w = waivers.revoke_waiver(session, waiver_id, reason=reason, by=actor(by),
                                  now_ms=clock().now_ms())
        typer.echo(f"已撤销免扣 #{w.id}")

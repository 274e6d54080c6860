"""`evalpad counts check | rebuild`: the daily evaluation counts (host.models.counts) beside a
recount of the stored events; a recount when they disagree, audited (R12)."""

from __future__ import annotations

import typer

from host import counts
from host.cli.common import By, Reason, actor, clock, open_db
from host.cli.zh import Typer

counts_app = Typer(help="每日评价计数（按窗口、按日，由数据库随事件写入维护）：核对、重算。",
                         no_args_is_help=True)
SHOWN = 20                 # differences listed; the rest are counted


@counts_app.command("check")
def counts_check() -> None:
    """逐窗口逐日核对计数与已存事件的重新计数（只读）；不一致时退出码为 1。"""
    with open_db() as (_, session):
        result = counts.check(session)
    if result.missing_triggers:
        typer.echo(f"缺少维护计数的触发器：{'、'.join(result.missing_triggers)}。"
                   "办法：运行 `evalpad db upgrade`，再运行 `evalpad counts rebuild`。")
    for d in result.differences[:SHOWN]:
        typer.echo(f"窗口 {d.window_id}  {d.day:%Y-%m-%d}  计数 {d.kept[0]}（满意 {d.kept[1]}）  "
                   f"事件重算 {d.recounted[0]}（满意 {d.recounted[1]}）")
    if len(result.differences) > SHOWN:
        typer.echo(f"……另有 {len(result.differences) - SHOWN} 行不一致。")
    if result.ok:
        typer.echo(f"计数与事件一致：{result.rows} 行（窗口×日）。")
        return
    if result.differences:
        typer.echo(f"{len(result.differences)} 行与事件不一致。办法：`evalpad counts rebuild --reason …` "
                   "按事件重新计数（记入审计）。")
    raise typer.Exit(1)


@counts_app.command("rebuild")
def counts_rebuild(reason: Reason = "", by: By = None) -> None:
    """按已存事件重新计数全部每日计数（重算期间事件写入稍候；记入审计，R12）。"""
    with open_db() as (_, session):
        done = counts.rebuild(session, clock(), actor=actor(by), reason=reason)
    typer.echo(f"已重新计数：{done.rows} 行（窗口×日），其中 {done.corrected} 行此前不一致。")

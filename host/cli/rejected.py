"""`evalpad rejected list | replay`: messages the host kept aside (rejected, or held back for a
pad not registered or on no window), and their replay once the cause is fixed (protocol.md
Delivery 5). Every replay is audited (R12); an event is stored at most once however often."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel import col, select

from host.cli.common import actor, clock, engine_of, open_db, when
from host.cli.zh import Typer
from host.ingest.replay import replay_request
from host.labels import REJECT_CODE
from host.models.events import RejectedMessage

rejected_app = Typer(help="拒收与暂存的消息（原样保存）：查看、修复原因后重放。", no_args_is_help=True)


DeviceOpt = Annotated[str | None, typer.Option("--device", "-d", help="评价器编号")]
CodeOpt = Annotated[str | None, typer.Option("--code", "-c", help="原因代码，如 bad_field")]
AllOpt = Annotated[bool, typer.Option("--all", help="包括已重放的")]
LimitOpt = Annotated[int, typer.Option("--limit", "-n", help="最多显示条数（最新的）")]
IdsArg = Annotated[list[int] | None, typer.Argument(help="消息编号（见 `list`）")]
ReasonOpt = Annotated[str, typer.Option("--reason", "-r", help="修复了什么（记入审计，R12）")]


@rejected_app.command("list")
def rejected_list(device: DeviceOpt = None, code: CodeOpt = None, all_: AllOpt = False,
                  limit: LimitOpt = 50) -> None:
    """列出拒收或暂存的消息（默认只列未重放的）。"""
    with open_db() as (_, session):
        q = select(RejectedMessage).order_by(col(RejectedMessage.id).desc()).limit(limit)
        if device:
            q = q.where(col(RejectedMessage.device_id) == device)
        if code:
            q = q.where(col(RejectedMessage.code) == code)
        if not all_:
            q = q.where(col(RejectedMessage.replayed_ms).is_(None))
        rows = list(session.exec(q))[::-1]
        if not rows:
            typer.echo("没有符合条件的消息。")
            return
        for r in rows:
            state = f"已重放 {when(r.replayed_ms)}" if r.replayed_ms else "待处理"
            seq = f"序号 {r.seq}" if r.seq is not None else "序号不可读（未确认）"
            typer.echo(f"#{r.id}  {when(r.received_ms)}  {r.device_id or '—'}  {seq}  "
                       f"{REJECT_CODE.get(r.code, r.code)}（{r.code}）  {state}")
            typer.echo(f"      原因：{r.reason}")
            typer.echo(f"      内容：{r.payload[:160]}")


@rejected_app.command("replay")
def rejected_replay(ids: IdsArg = None, device: DeviceOpt = None, code: CodeOpt = None,
                    reason: ReasonOpt = "") -> None:
    """修复原因后重放：按编号、评价器或原因代码；同一事件绝不重复入库。"""
    with open_db() as (settings, session):
        engine = engine_of(session)
        result = replay_request(engine, clock(), actor(), device=device, ids=ids or None, code=code,
                                reason=reason, prefix=settings.mqtt_prefix)
    still = "，".join(f"{REJECT_CODE.get(c, c)} {n} 条" for c, n in sorted(result.still.items()))
    typer.echo(f"已重放 {result.replayed} 条：新入库 {result.stored}，此前已入库 {result.duplicates}，"
               f"序号冲突 {result.conflicts}。")
    if still:
        typer.echo(f"仍被拒收：{still}（原因未消除，记录保留）。")
    if result.skipped:
        typer.echo(f"跳过 {result.skipped} 条（不是事件，或此前已重放）。")

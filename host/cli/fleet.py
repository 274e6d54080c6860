"""`evalpad window …` and `evalpad device …`: the operator's side of the fleet (R10).

Each command calls the same service functions as the API (host.fleet, host.corrections) in
one database session (host.cli.common.open_db). The actor in the audit trail is
``cli:<os user>`` (R12). A pad's broker password is printed once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import col, func, select

from host import corrections, fleet
from host.broker import accounts
from host.cli.common import AllOpt, Reason, WindowOpt, actor, as_moment, clock, engine_of, open_db, when
from host.cli.zh import Typer
from host.clock import TIME_FORMS
from host.ingest.replay import replay_request
from host.labels import category
from host.models.events import RejectedMessage

window_app = Typer(help="窗口：添加、列出、停用。", no_args_is_help=True)
device_app = Typer(
    help="评价器：登记（含消息代理账号）、列出、分配、更正、撤下、停用。",
    no_args_is_help=True)
SinceOpt = Annotated[str | None, typer.Option(
    "--since", help="把分配时间往前补，如 '2026-11-25 08:00'（北京时间），只能补到记录的空档里："
    "用于登记前就已发送事件的评价器")]


DeviceArg = Annotated[str, typer.Argument(help="评价器编号，如 qp-0107")]
NumberArg = Annotated[str, typer.Argument(help="窗口号，如 A07")]


def broker_note(broker_dir: Path, external: bool = False) -> None:
    if note := accounts.pending_note(broker_dir, external):
        typer.echo(f"注意：{note}")


# -- windows ---------------------------------------------------------------------------------

@window_app.command("add")
def window_add(number: NumberArg,
               name: Annotated[str, typer.Option("--name", help="窗口名称，如 公安分局出入境")],
               department: Annotated[str, typer.Option("--department", help="所属部门")] = "",
               category: Annotated[str, typer.Option(
                   "--category", help="窗口类别：general|police_traffic")] = "general",
               reason: Reason = "") -> None:
    """添加窗口（窗口号与柜台上标的一致，如 A07）。"""
    with open_db() as (_, session):
        win = fleet.add_window(session, number=number, name=name, department=department, category=category,
                               clock=clock(), actor=actor(), reason=reason)
        typer.echo(f"已添加窗口 {win.number}：{win.name}。")


@window_app.command("list")
def window_list(all_: AllOpt = False) -> None:
    """列出窗口及各窗口上的评价器。"""
    with open_db() as (_, session):
        for w in fleet.list_windows(session, include_retired=all_):
            pad = fleet.current_device(session, w)
            typer.echo(f"{w.number:<8} {w.name:<24} {category(w.category):<12} "
                       f"{pad.device_id if pad else '-':<16} {'' if w.active else '已停用'}".rstrip())


@window_app.command("retire")
def window_retire(number: NumberArg, reason: Reason = "") -> None:
    """停用窗口（历史记录保留）。"""
    with open_db() as (_, session):
        fleet.retire_window(session, number=number, clock=clock(), actor=actor(), reason=reason)
        typer.echo(f"已停用窗口 {number}。")


# -- devices ------------------------------------------------------------------------------------

@device_app.command("add")
def device_add(device_id: DeviceArg, window: WindowOpt = None,
               label: Annotated[str, typer.Option("--label", help="备注标签")] = "",
               since: SinceOpt = None, reason: Reason = "") -> None:
    """登记评价器，创建它的消息代理账号并显示账号密码（只显示一次）。"""
    with open_db() as (settings, session):
        broker_dir = settings.data_dir / "broker"
        _, password = fleet.register_pad(session, device_id=device_id, window_number=window, label=label,
                                         clock=clock(), actor=actor(), reason=reason,
                                         since_ms=as_moment(since, "--since"), broker_dir=broker_dir,
                                         prefix=settings.mqtt_prefix)
        typer.echo(f"已登记评价器 {device_id}" + (f"，分配到窗口 {window}。" if window else "。"))
        typer.echo("消息代理账号（只显示这一次，请填入评价器的配置）：")
        typer.echo(f"  用户名：{device_id}")
        typer.echo(f"  密码：{password}")
        if settings.mqtt_url:
            typer.echo("注意：EVALPAD_MQTT_URL 指向外部消息代理，请在那里也添加这个账号。")
        else:
            typer.echo(f"  （已写入 {broker_dir / accounts.PASSWD} 和 {broker_dir / accounts.ACL}）")
            broker_note(broker_dir)


@device_app.command("list")
def device_list(all_: AllOpt = False) -> None:
    """列出评价器及各自所在的窗口。"""
    with open_db() as (_, session):
        for v in fleet.list_devices(session, include_retired=all_):
            where = v.window.number if v.window else "-"
            retired = v.device.retired_ms
            state = f"已停用 {when(retired)}" if retired else f"自 {when(v.since_ms)} 起"
            typer.echo(f"{v.device.id:<20} {where:<8} {state}")


@device_app.command("assign")
def device_assign(device_id: DeviceArg,
                  window: Annotated[str, typer.Option("--window", "-w", help="窗口号，如 A07")],
                  since: SinceOpt = None, reason: Reason = "") -> None:
    """从现在起把评价器分配到窗口（R10）；该窗口原有的评价器随之撤下。"""
    with open_db() as (_, session):
        a = fleet.assign(session, device_id=device_id, window_number=window, clock=clock(), actor=actor(),
                         reason=reason, since_ms=as_moment(since, "--since"))
        typer.echo(f"评价器 {device_id} 自 {when(a.start_ms)} 起在窗口 {window}。")


@device_app.command("correct")
def device_correct(
        moves: Annotated[list[str], typer.Argument(help="每台移动过的评价器写 PAD=WINDOW（PAD=- 表示"
                                                        "不在任何窗口），如对调时写 w06=W07 w07=W06")],
        at: Annotated[str, typer.Option("--at", help=f"实际移动的时间：{TIME_FORMS}")],
        reason: Annotated[str, typer.Option("--reason", "-r", help="发生了什么（R12）")],
        preview: Annotated[bool, typer.Option("--preview", help="只显示会改变什么，不保存")]
        = False) -> None:
    """事后按实际时间补记评价器的移动（R10）：事件按更正后的历史归属窗口。"""
    with open_db() as (settings, session):
        at_ms = as_moment(at, "--at")
        assert at_ms is not None
        r = corrections.correct(session, moves=corrections.parse_moves(moves), at_ms=at_ms, clock=clock(),
                                actor=actor(), reason=reason, preview=preview)
        c = r.correction
        head = "预览（未保存）" if preview else f"更正 #{c.id}"
        typer.echo(f"{head}：{corrections.moves_text(c.moves)}，时间 {when(c.at_ms)}")
        for word, rows in (("原来", c.before), ("现在", c.after)):
            for i in rows:
                typer.echo(f"  {word}：{i['device']:<12} {i['window']:<8} "
                           f"{when(i['start_ms'])} .. {when(i['end_ms'])}")
        for (a, b), n in sorted(r.moved.items()):
            typer.echo(f"  {n} 条事件从窗口 {a} 改归窗口 {b}")
        if r.unplaced:
            typer.echo(f"  {r.unplaced} 条事件现在不属于任何窗口：在再次更正把它们归到窗口之前，哪里都不计")
        for m in r.closed_months:
            typer.echo(f"  {m} 月已关账：报表保持已反馈的样子，并列出这次更正（R11）；"
                       f"执行 `evalpad month reopen {m}` 后才计入")
        if r.review:
            typer.echo(f"  已审核的疑似违规 {'、'.join(map(str, r.review))} 所依据的事件已移动："
                       "管理科应重新审核")
        if preview:
            return
        done = corrections.settle(engine_of(session), r, clock(), prefix=settings.mqtt_prefix)
        typer.echo(f"  违规检测：新增 {done.detected} 条，撤回 {done.withdrawn} 条；"
                   f"暂存事件入库 {done.replayed} 条")


@device_app.command("corrections")
def device_corrections(
        device: Annotated[str | None, typer.Option("--device", "-d", help="只看这台评价器")] = None) -> None:
    """已记录的分配更正，最新的在前（谁、何时、为何、移动了什么）。"""
    with open_db() as (_, session):
        for c in corrections.list_corrections(session, device_id=device):
            typer.echo(f"#{c.id:<4} {when(c.at_ms)}  {corrections.moves_text(c.moves):<24} 由 {c.by} "
                       f"于 {when(c.recorded_ms)} 记录，移动事件 {len(c.moved)} 条：{c.reason}")


@device_app.command("unassign")
def device_unassign(device_id: DeviceArg, reason: Reason = "") -> None:
    """把评价器从窗口撤下（如送修）。"""
    with open_db() as (_, session):
        fleet.unassign(session, device_id=device_id, clock=clock(), actor=actor(), reason=reason)
        typer.echo(f"评价器 {device_id} 已撤下，现在不在任何窗口。")


@device_app.command("replay")
def device_replay(device_id: DeviceArg) -> None:
    """把评价器暂存的事件（未登记或未分配窗口期间保留的）入库；另见
    `evalpad rejected`。"""
    with open_db() as (settings, session):
        fleet.get_device(session, device_id)
        placed = replay_request(engine_of(session), clock(), actor(), device=device_id,
                                prefix=settings.mqtt_prefix).replayed
        left = session.exec(select(func.count()).select_from(RejectedMessage).where(
            RejectedMessage.device_id == device_id, col(RejectedMessage.replayed_ms).is_(None))).one()
        typer.echo(f"评价器 {device_id} 的暂存消息已入库 {placed} 条，仍暂存 {left} 条。")


@device_app.command("retire")
def device_retire(device_id: DeviceArg, reason: Reason = "") -> None:
    """永久停用评价器：结束其分配，并删除它的消息代理账号。"""
    with open_db() as (settings, session):
        fleet.retire_device(session, device_id=device_id, clock=clock(), actor=actor(), reason=reason,
                            broker_dir=settings.data_dir / "broker")
        typer.echo(f"已停用评价器 {device_id}，它的消息代理账号已删除。")
        broker_note(settings.data_dir / "broker", external=bool(settings.mqtt_url))

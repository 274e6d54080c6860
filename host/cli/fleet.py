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
        typer.echo(f"note: {note}")


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
        typer.echo(f"window {win.number} added: {win.name}")


@window_app.command("list")
def window_list(all_: AllOpt = False) -> None:
    """列出窗口及各窗口上的评价器。"""
    with open_db() as (_, session):
        for w in fleet.list_windows(session, include_retired=all_):
            pad = fleet.current_device(session, w)
            typer.echo(f"{w.number:<8} {w.name:<24} {w.category:<16} "
                       f"{pad.device_id if pad else '-':<16} {'' if w.active else 'retired'}".rstrip())


@window_app.command("retire")
def window_retire(number: NumberArg, reason: Reason = "") -> None:
    """停用窗口（历史记录保留）。"""
    with open_db() as (_, session):
        fleet.retire_window(session, number=number, clock=clock(), actor=actor(), reason=reason)
        typer.echo(f"window {number} retired")


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
        typer.echo(f"device {device_id} registered" + (f" on window {window}" if window else ""))
        typer.echo("broker credentials (shown only now; put them on the pad's config):")
        typer.echo(f"  username: {device_id}")
        typer.echo(f"  password: {password}")
        if settings.mqtt_url:
            typer.echo("note: EVALPAD_MQTT_URL points at an external broker; add this account there too.")
        else:
            typer.echo(f"  (written to {broker_dir / accounts.PASSWD} and {broker_dir / accounts.ACL})")
            broker_note(broker_dir)


@device_app.command("list")
def device_list(all_: AllOpt = False) -> None:
    """列出评价器及各自所在的窗口。"""
    with open_db() as (_, session):
        for v in fleet.list_devices(session, include_retired=all_):
            where = v.window.number if v.window else "-"
            retired = v.device.retired_ms
            state = f"retired {when(retired)}" if retired else f"since {when(v.since_ms)}"
            typer.echo(f"{v.device.id:<20} {where:<8} {state}")


@device_app.command("assign")
def device_assign(device_id: DeviceArg,
                  window: Annotated[str, typer.Option("--window", "-w", help="窗口号，如 A07")],
                  since: SinceOpt = None, reason: Reason = "") -> None:
    """从现在起把评价器分配到窗口（R10）；该窗口原有的评价器随之撤下。"""
    with open_db() as (_, session):
        a = fleet.assign(session, device_id=device_id, window_number=window, clock=clock(), actor=actor(),
                         reason=reason, since_ms=as_moment(since, "--since"))
        typer.echo(f"device {device_id} on window {window} since {when(a.start_ms)}")


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
        head = "preview (nothing stored)" if preview else f"correction #{c.id}"
        typer.echo(f"{head}: {corrections.moves_text(c.moves)} at {when(c.at_ms)}")
        for word, rows in (("was", c.before), ("now", c.after)):
            for i in rows:
                typer.echo(f"  {word}: {i['device']:<12} {i['window']:<8} "
                           f"{when(i['start_ms'])} .. {when(i['end_ms'])}")
        for (a, b), n in sorted(r.moved.items()):
            typer.echo(f"  {n} event(s) re-attributed from window {a} to {b}")
        if r.unplaced:
            typer.echo(f"  {r.unplaced} event(s) now on no window: counted nowhere until a correction "
                       "places them")
        for m in r.closed_months:
            typer.echo(f"  month {m} is closed: its report stays as fed back and lists this correction "
                       f"(R11); it counts only after `evalpad month reopen {m}`")
        if r.review:
            typer.echo(f"  decided violation candidate(s) {', '.join(map(str, r.review))} rest on events "
                       "that moved: the management section should review them again")
        if preview:
            return
        done = corrections.settle(engine_of(session), r, clock(), prefix=settings.mqtt_prefix)
        typer.echo(f"  violation detection: {done.detected} new, {done.withdrawn} withdrawn; "
                   f"{done.replayed} held-back event(s) placed")


@device_app.command("corrections")
def device_corrections(
        device: Annotated[str | None, typer.Option("--device", "-d", help="只看这台评价器")] = None) -> None:
    """已记录的分配更正，最新的在前（谁、何时、为何、移动了什么）。"""
    with open_db() as (_, session):
        for c in corrections.list_corrections(session, device_id=device):
            typer.echo(f"#{c.id:<4} {when(c.at_ms)}  {corrections.moves_text(c.moves):<24} by {c.by} "
                       f"on {when(c.recorded_ms)}, {len(c.moved)} event(s) moved: {c.reason}")


@device_app.command("unassign")
def device_unassign(device_id: DeviceArg, reason: Reason = "") -> None:
    """把评价器从窗口撤下（如送修）。"""
    with open_db() as (_, session):
        fleet.unassign(session, device_id=device_id, clock=clock(), actor=actor(), reason=reason)
        typer.echo(f"device {device_id} is on no window now")


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
        typer.echo(f"{placed} held-back messages of {device_id} placed; {left} still held")


@device_app.command("retire")
def device_retire(device_id: DeviceArg, reason: Reason = "") -> None:
    """永久停用评价器：结束其分配，并删除它的消息代理账号。"""
    with open_db() as (settings, session):
        fleet.retire_device(session, device_id=device_id, clock=clock(), actor=actor(), reason=reason,
                            broker_dir=settings.data_dir / "broker")
        typer.echo(f"device {device_id} retired; its broker account is removed")
        broker_note(settings.data_dir / "broker", external=bool(settings.mqtt_url))

"""`evalpad pad release|releases` and `evalpad fleet update|status|stop`: releases over the air
(host.releases).

Messages are for the IT section, in Chinese; codes (states, versions) stay as they are.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from host.cli.common import actor, clock, fail, open_db, when
from host.cli.zh import Typer
from host.labels import ROLLOUT_STATE_CHINESE, UPDATE_STATE_CHINESE
from host.releases import rollout, store
from host.releases.build import build_release
from host.releases.manifest import ManifestError

fleet_app = Typer(help="全部评价器的程序更新（空中升级）：推送、查看进度、停止。",
                        no_args_is_help=True)
By = Annotated[str, typer.Option("--by", help="谁（记入审计记录，R12）；默认 `cli:<系统用户>`")]


def release_cmd(version: Annotated[str, typer.Option("--version", help="版本号，例如 1.1.0（不可重复）")],
                note: Annotated[str, typer.Option("--note", help="说明（改了什么）")] = "",
                by: By = "") -> None:
    """编译程序（mpy-cross）为一个版本，带清单（每个文件的大小和 SHA-256），交由主机保存。"""
    with open_db() as (settings, session):
        with tempfile.TemporaryDirectory() as tmp:
            try:
                build_release(version, Path(tmp) / version)
            except ManifestError as exc:
                raise fail(exc, 2) from None
            row = store.add_release(session, built=Path(tmp) / version, data_dir=settings.data_dir,
                                    clock=clock(), actor=actor(by), note=note)
        typer.echo(f"版本 {row.version}：{row.files} 个文件，{row.size_bytes / 1024:.1f} KB，"
                   f"清单 SHA-256 {row.manifest_sha256}")
        typer.echo(f"推送：evalpad fleet update --release {row.version}")


def releases_cmd() -> None:
    """主机保存的版本，以及各版本正在运行的评价器数。"""
    with open_db() as (_, session):
        views = store.list_releases(session)
        if not views:
            typer.echo("还没有版本：evalpad pad release --version 1.0.0")
        for v in views:
            r = v.release
            typer.echo(f"{r.version:<16} {when(r.created_ms)}  {r.files:>3} 个文件  "
                       f"{v.pads:>4} 台在运行  {r.note}")


@fleet_app.command("update")
def fleet_update(
    release: Annotated[str, typer.Option("--release", help="要推送的版本（见 `evalpad pad releases`）")],
    canary: Annotated[int, typer.Option("--canary", help="先更新几台（金丝雀），全部确认后再更新其余")] = 1,
    window_time: Annotated[bool, typer.Option(
        "--window-time", help="也在工作时间内更新（默认只在工作时间外）")] = False,
    max_failed: Annotated[float, typer.Option("--max-failed", help="失败或回退的比例达到此值即自动停止")] =
        rollout.DEFAULT_MAX_FAILED_SHARE,
    device: Annotated[list[str] | None, typer.Option("--device", help="只更新这些评价器（可重复）")] = None,
    reason: Annotated[str, typer.Option("--reason", "-r", help="原因（记入审计记录）")] = "",
    by: By = "",
) -> None:
    """向评价器推送一个版本：先金丝雀，默认只在工作时间外、从不在提示评价或致谢时；由运行中的主机执行。"""
    with open_db() as (_, session):
        row = rollout.start_rollout(session, release=release, clock=clock(), actor=actor(by), canary=canary,
                                    window_time=window_time, max_failed_share=max_failed, devices=device,
                                    reason=reason)
        typer.echo(f"推送 #{row.id}：版本 {row.release}，先更新 {row.canary} 台；"
                   f"运行中的主机（evalpad serve）将执行。进度：evalpad fleet status")


@fleet_app.command("status")
def fleet_status() -> None:
    """最近一次推送的进度：每台评价器的运行版本、目标、状态和最后的错误。"""
    with open_db() as (_, session):
        prog = rollout.progress(session)
        if prog is None:
            typer.echo("还没有推送。")
            return
        r = prog.rollout
        why = f"（{r.stop_reason}）" if r.stop_reason else ""
        typer.echo(f"推送 #{r.id} 版本 {r.release}：{ROLLOUT_STATE_CHINESE.get(r.state, r.state)}{why}")
        for p, st in prog.pads:
            fw = st.fw if st is not None and st.fw else "-"
            mark = "金丝雀" if p.canary else ""
            typer.echo(f"  {p.device_id:<20} {fw:<12} -> {r.release:<12} "
                       f"{UPDATE_STATE_CHINESE.get(p.state, p.state):<6} {mark:<4} {p.last_error or ''}")


@fleet_app.command("stop")
def fleet_stop(reason: Annotated[str, typer.Option("--reason", "-r", help="原因（必填，记入审计记录）")],
               by: By = "") -> None:
    """停止正在进行的推送（已在更新的评价器会完成它们的更新）。"""
    with open_db() as (_, session):
        row = rollout.stop_rollout(session, clock=clock(), actor=actor(by), reason=reason)
        typer.echo(f"推送 #{row.id} 已停止。")

"""`evalpad export platform PERIOD`: the evaluations of a day or a month for the provincial
好差评 platform, as JSON or CSV (docs/platform-export.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from host.cli.common import clock, open_db
from host.cli.zh import Typer
from host.exports import platform

export_app = Typer(
    help="导出给其他系统（省好差评平台）。", no_args_is_help=True
)


@export_app.command("platform")
def export_platform(
    period: Annotated[str, typer.Argument(help="某一天（2026-10-08）或某个月（2026-10），北京时间")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="格式：json|csv")] = "json",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="输出文件（默认输出到屏幕）")] = None,
) -> None:
    """导出 PERIOD 内的每条评价：办件编号、事项、渠道、等级、时间、窗口、部门和工作人员。

    字段说明和样例见 docs/platform-export.md。"""
    with open_db() as (_, session):
        data, name = platform.export(session, period, fmt, clock().now_ms())
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    out.write_bytes(data)
    typer.echo(f"已写入 {out}（{len(data)} 字节；建议的文件名 {name}）", err=True)

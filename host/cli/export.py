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
    help="Exports for other systems (the provincial 好差评 platform).", no_args_is_help=True
)


@export_app.command("platform")
def export_platform(
    period: Annotated[str, typer.Argument(help="a day (2026-10-08) or a month (2026-10), Asia/Shanghai")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="json or csv")] = "json",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="file (default stdout)")] = None,
) -> None:
    """Every evaluation of PERIOD with case number, item, channel, level, time, window, department
    and staff (the fields and a sample: docs/platform-export.md)."""
    with open_db() as (_, session):
        data, name = platform.export(session, period, fmt, clock().now_ms())
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    out.write_bytes(data)
    typer.echo(f"wrote {out} ({len(data)} bytes; suggested name {name})", err=True)

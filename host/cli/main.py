"""The `evalpad` command: every operator's command, mounted on one Typer app.

One module per group of commands (host/cli/), sharing host/cli/common.py: the settings, the
database, who acts, how an error is said, and the parsers the API and the pages use too.
"""

from __future__ import annotations

import logging
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Annotated

import typer

from host.backup import BackupRefused, backup_database
from host.cli import pad, releases
from host.cli.bridge import bridge
from host.cli.broker import broker_app
from host.cli.calendar import calendar_app
from host.cli.common import clock, fail, load_settings
from host.cli.counts import counts_app
from host.cli.export import export_app
from host.cli.fleet import device_app, window_app
from host.cli.rejected import rejected_app
from host.cli.reports import month_app, report_app
from host.cli.review import faults_app, violations_app, volume_app, waive_app
from host.cli.simulator import demo, simulate
from host.cli.users import token_app, user_app
from host.cli.zh import Typer
from host.db import upgrade
from host.service import HostStartError, run
from protocol import spec

app = Typer(help="evalpad：评价器及为各窗口计分的主机。", no_args_is_help=True)
db_app = Typer(help="数据库：升级表结构（Alembic）。", no_args_is_help=True)


@app.callback()
def main() -> None:
    """evalpad：评价器及为各窗口计分的主机。"""


@app.command()
def version() -> None:
    """显示 evalpad 的版本和评价器与主机之间的协议版本。"""
    typer.echo(f"evalpad {dist_version('evalpad')}（评价器与主机的协议版本 v{spec.VERSION}）")


@app.command()
def serve(log_level: str = typer.Option("INFO", help="日志级别：DEBUG|INFO|WARNING|ERROR。")) -> None:
    """运行主机：从消息代理接收事件（未设 EVALPAD_MQTT_URL 时由主机自行启动代理），并提供 HTTP 接口。"""
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        run(load_settings())
    except HostStartError as exc:
        raise fail(exc, 2) from None


@db_app.command("upgrade")
def db_upgrade() -> None:
    """把数据库（EVALPAD_DATABASE_URL；默认是数据目录里的 SQLite）升级到最新表结构。"""
    settings = load_settings()
    upgrade(settings.db_url)
    typer.echo(f"数据库表结构已是最新：{settings.db_url.split('@')[-1]}")


@app.command()
def backup(to: Annotated[Path | None, typer.Option("--to", help="备份目录；默认 <data_dir>/backups")]
           = None) -> None:
    """把数据库复制到带时间戳的文件（SQLite 在线备份；PostgreSQL 则显示 `pg_dump` 命令）。"""
    settings = load_settings()
    try:
        result = backup_database(settings.db_url, to or settings.data_dir / "backups", clock())
    except BackupRefused as exc:
        raise fail(exc, 2) from None
    typer.echo(f"已写入备份：{result.path}（{result.bytes} 字节，完整性检查 {result.integrity}，"
               f"事件 {result.events} 条）")


for name, group in (("window", window_app), ("device", device_app), ("user", user_app), ("token", token_app),
                    ("broker", broker_app), ("volume", volume_app), ("violations", violations_app),
                    ("faults", faults_app), ("waive", waive_app), ("rejected", rejected_app),
                    ("report", report_app), ("month", month_app), ("calendar", calendar_app),
                    ("pad", pad.pad_app), ("fleet", releases.fleet_app), ("db", db_app),
                    ("export", export_app), ("counts", counts_app)):
    app.add_typer(group, name=name)
pad.pad_app.command("release")(releases.release_cmd)
pad.pad_app.command("releases")(releases.releases_cmd)
app.command("bridge")(bridge)
app.command("simulate")(simulate)
app.command("demo")(demo)


if __name__ == "__main__":
    app()

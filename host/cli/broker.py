"""`evalpad broker host-account`: the broker's own files (passwd, acl) for a Mosquitto run by
systemd, and each host instance's account there (client id = user name, protocol.md Delivery 7)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from host.broker import accounts
from host.broker.identity import HOST_ACCOUNT_FORM, is_host_account
from host.cli.common import fail, load_settings
from host.cli.fleet import broker_note
from host.cli.zh import Typer
from host.errors import Invalid

broker_app = Typer(help="由 systemd 运行的 Mosquitto 所用的账号文件（`passwd`、`acl`）。",
                         no_args_is_help=True)


@broker_app.command("host-account")
def broker_host_account(
    instance: Annotated[str | None, typer.Argument(
        help="主机实例名，如 host-2（默认取 EVALPAD_INSTANCE，即 host-1）")] = None,
    port: Annotated[int, typer.Option("--port", help="消息代理在本机回环地址上的端口")] = 1883,
    env_file: Annotated[Path | None, typer.Option(
        "--env-file", help="把 EVALPAD_INSTANCE 和 EVALPAD_MQTT_URL 写入此文件（权限 0600），"
        "不在屏幕上显示密码")] = None,
) -> None:
    """创建（或替换）主机实例的消息代理账号：用户名 = 客户端编号 = 实例名（host-1 等）。"""
    settings = load_settings()
    name = instance or settings.instance
    if not is_host_account(name):
        raise fail(Invalid(f"主机实例名 {name!r} 不可用", f"请写成 {HOST_ACCOUNT_FORM}，例如 host-2"))
    broker_dir = settings.data_dir / "broker"
    password = accounts.issue_host_password(broker_dir, name, settings.mqtt_prefix)
    url = f"mqtt://{name}:{password}@127.0.0.1:{port}"
    typer.echo(f"主机实例 {name} 的代理账号已写入 {broker_dir / accounts.PASSWD}"
               f"（访问控制：{broker_dir / accounts.ACL}）")
    if env_file is not None:
        _write_private(env_file, f"EVALPAD_INSTANCE={name}\nEVALPAD_MQTT_URL={url}\n")
        typer.echo(f"EVALPAD_INSTANCE 和 EVALPAD_MQTT_URL 已写入 {env_file}（仅所有者可读写）")
    else:
        typer.echo("请把以下两行放进该实例的环境文件（密码只显示这一次）：")
        typer.echo(f"EVALPAD_INSTANCE={name}")
        typer.echo(f"EVALPAD_MQTT_URL={url}")
    broker_note(broker_dir)


def _write_private(path: Path, text: str) -> None:
    """Create the file owner-only before the secret goes in (no moment where others may read it)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)

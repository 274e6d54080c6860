"""``evalpad pad ...``: build the pad's program, provision a pad's identity, deploy over USB."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from host.broker.mosquitto import set_password
from host.cli.common import fail
from host.cli.zh import Typer
from host.provision import build as builder
from host.provision import identity, padfs
from host.provision.rawrepl import ANSWER_TIMEOUT_S, BAUD, RawRepl, ReplError, open_port
from protocol import spec

pad_app = Typer(help="经 USB 操作评价器：编译程序、写入身份信息、部署。",
                      no_args_is_help=True)

PROGRAM_DIRS = ["/lib/" + top for top in builder.SOURCES]   # what deploy owns on the pad
SLOT_FILES = ("/slot", "/slot.tmp", "/lib/release.json")      # the loader's pointer, slot a's manifest
PORT_HELP = "评价器的 USB 串口，如 /dev/ttyUSB0（列出串口：`python -m serial.tools.list_ports`）"


def _kb(n: int) -> str:
    return "{:.1f} KB".format(n / 1024)


@pad_app.command("build")
def build_cmd(out: Annotated[Path, typer.Option(help="部署目录写到哪里")] = builder.DEFAULT_OUT,
              ) -> None:
    """用 mpy-cross 把 `firmware/` 和 `protocol/` 编译成部署目录，并报告大小。"""
    try:
        result = builder.build(out)
    except builder.BuildError as exc:
        raise fail(exc)
    for f in result.files:
        typer.echo("{:<48} {:>8} -> {:>8}".format(f.target, f.source_bytes, f.target_bytes))
    typer.echo("共 {} 个文件，源码 {}，编译后在评价器上占 {}，写在 {}".format(
        len(result.files), _kb(result.source_bytes), _kb(result.total_bytes), result.out))
    for w in result.warnings:
        typer.echo("警告：" + w, err=True)


@pad_app.command("provision")
def provision_cmd(
    port: str = typer.Option(..., help=PORT_HELP),
    dev: str = typer.Option(..., help="评价器编号，如 qp-0107（也是它在消息代理的用户名）"),
    wifi_ssid: str = typer.Option(..., help="Wi-Fi 网络名称"),
    wifi_password: str = typer.Option(..., help="Wi-Fi 密码（开放网络写 ''）"),
    mqtt_host: str = typer.Option(..., help="消息代理的主机名或 IP 地址"),
    mqtt_port: int = typer.Option(identity.DEFAULT_MQTT_PORT, help="消息代理的端口"),
    mqtt_password: str = typer.Option(None, help="评价器的消息代理密码（默认自动生成）"),
    prefix: str = typer.Option(spec.PREFIX, help="主题前缀"),
    ntp_host: str = typer.Option(identity.DEFAULT_NTP, help="校时（NTP）服务器"),
    window: str = typer.Option(None, help="评价器所在窗口（主机下发窗口信息之前，评价器先显示这个）"),
    layout: str = typer.Option("two", help="评价按键：`two`（满意/不满意）或 `five`（五级，好差评）"),
    reason_s: int = typer.Option(15, help="五级按键时，差评后显示原因选项的秒数（0 为不显示）"),
    broker_passwords: Annotated[Path | None, typer.Option(
        help="同时把评价器的密码写入这个 Mosquitto 密码文件")] = None,
    baud: int = typer.Option(BAUD, help="串口波特率"),
    timeout: float = typer.Option(ANSWER_TIMEOUT_S, help="等待评价器 REPL 应答的秒数"),
    reset: bool = typer.Option(True, help="写完后软重启评价器，使其按新身份启动"),
) -> None:
    """经 USB 写入评价器的身份文件 /evalpad.json（编号、Wi-Fi、消息代理）。"""
    try:
        ident = identity.make_identity(dev, wifi_ssid, wifi_password, mqtt_host, mqtt_port,
                                       mqtt_password, prefix, ntp_host, window, layout, reason_s)
    except identity.IdentityError as exc:
        raise fail(exc, 2)
    try:
        with RawRepl(open_port(port, baud), answer_timeout=timeout) as repl:
            padfs.feed_watchdog(repl)
            padfs.put(repl, identity.PATH, identity.encode(ident))
            if reset:
                repl.soft_reset()
    except ReplError as exc:
        raise fail(exc)
    typer.echo("{}：已经 {} 写入身份文件 {}".format(dev, port, identity.PATH))
    if broker_passwords is not None:
        set_password(broker_passwords, dev, ident["mqtt_password"])
        typer.echo("{}：消息代理账号已写入 {}（让 Mosquitto 重新读取后生效）".format(dev, broker_passwords))
    elif not mqtt_password:
        typer.echo("{}：已生成消息代理密码 {}，请在消息代理上为用户 {} 添加它"
                   "（或加 --broker-passwords 文件 重新运行）".format(dev, ident["mqtt_password"], dev))


@pad_app.command("deploy")
def deploy_cmd(
    port: str = typer.Option(..., help=PORT_HELP),
    tree: Annotated[Path | None, typer.Option(
        help="`evalpad pad build` 生成的部署目录（默认现在编译）")] = None,
    baud: int = typer.Option(BAUD, help="串口波特率"),
    timeout: float = typer.Option(ANSWER_TIMEOUT_S, help="等待评价器 REPL 应答的秒数"),
    reset: bool = typer.Option(True, help="部署后软重启评价器，运行新程序"),
) -> None:
    """把编译好的程序复制到评价器（身份文件和事件记录不动）。"""
    try:
        if tree is None:
            tree = builder.build().out
        elif not tree.is_dir():
            raise builder.BuildError("{} 不是部署目录：请先运行 `evalpad pad build --out {}`".format(
                tree, tree))
        files = sorted(p for p in tree.rglob("*") if p.is_file())
        with RawRepl(open_port(port, baud), answer_timeout=timeout) as repl:
            made: set[str] = set()
            total = 0
            for path in files:
                target = "/" + path.relative_to(tree).as_posix()
                parent = target.rsplit("/", 1)[0]
                if parent and parent not in made:
                    padfs.mkdirs(repl, parent)
                    made.add(parent)
                data = path.read_bytes()
                padfs.feed_watchdog(repl)
                padfs.put(repl, target, data)
                total += len(data)
                typer.echo("{:<48} {:>8}".format(target, len(data)))
            # The tree is the whole truth for the program's folders (never for the
            # identity, config or event log at the root).
            deployed = {"/" + p.relative_to(tree).as_posix() for p in files}
            for stale in padfs.prune(repl, PROGRAM_DIRS, deployed):
                typer.echo("已删除旧文件 {}".format(stale))
            # The deployed program (slot "a") is the one that runs from now on: drop the
            # update pointer and slot a's old release manifest (firmware/loader.py, the loader).
            for stale in SLOT_FILES:
                if padfs.remove(repl, stale):
                    typer.echo("已删除 {}".format(stale))
            if reset:
                repl.soft_reset()
    except (ReplError, builder.BuildError) as exc:
        raise fail(exc)
    typer.echo("已经 {} 部署 {} 个文件（{}）".format(port, len(files), _kb(total)))

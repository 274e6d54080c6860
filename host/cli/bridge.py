"""``evalpad bridge``: relay a USB-wired pad to the broker (host.bridge)."""

from __future__ import annotations

import logging
import os
import signal

import typer

from host.bridge.mqtt_link import MqttTarget, MqttUrlError, parse_mqtt_url
from host.bridge.relay import SerialBridge
from protocol import spec, topics
from protocol.errors import ProtocolError

DEFAULT_URL = "mqtt://127.0.0.1:1883"
PASSWORD_ENV = "EVALPAD_PAD_PASSWORD"


def bridge(
    port: str = typer.Option(..., "--port", help="评价器的串口，如 /dev/ttyUSB0 或 COM3。"),
    dev: str = typer.Option(..., "--dev", help="评价器编号（即它在消息代理的用户名）。"),
    mqtt_url: str = typer.Option(DEFAULT_URL, "--mqtt-url", envvar="EVALPAD_BRIDGE_MQTT_URL",
                                 help="消息代理地址 `mqtt://host:port`，可带评价器的账号密码："
                                 "`mqtt://DEV:PASSWORD@host:port`。"),
    password: str | None = typer.Option(None, "--password", envvar=PASSWORD_ENV,
                                        help="评价器的消息代理密码（见 `evalpad device add`），"
                                        "地址里没写时用。"),
    prefix: str = typer.Option(spec.PREFIX, "--prefix", envvar="EVALPAD_MQTT_PREFIX", help="主题前缀"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="显示详细日志"),
) -> None:
    """串口桥：把用 USB 串口连接的评价器转接到 MQTT，拔线后自动重连。"""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        topics.check_device_id(dev)
        url = parse_mqtt_url(mqtt_url)
    except (MqttUrlError, ProtocolError) as exc:
        raise typer.BadParameter(str(exc))
    secret = url.password or password
    if not secret:
        raise typer.BadParameter(f"评价器 {dev} 没有密码：写进 --mqtt-url（mqtt://{dev}:PASSWORD@host:1883），"
                                 f"或用 --password 或 {PASSWORD_ENV} 给出")
    target = MqttTarget(url.host, url.port, url.username or dev, secret)
    relay = SerialBridge(port, dev, target, prefix)
    signal.signal(signal.SIGTERM, lambda *_: relay.stop())
    if not os.path.exists(port):
        typer.echo(f"{port} 还不存在：正在等待插上评价器（按 Ctrl-C 停止）")
    try:
        relay.run()
    except KeyboardInterrupt:
        relay.stop()

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
    port: str = typer.Option(..., "--port", help="Serial port of the pad, e.g. /dev/ttyUSB0 or COM3."),
    dev: str = typer.Option(..., "--dev", help="The pad's device id (its broker username)."),
    mqtt_url: str = typer.Option(DEFAULT_URL, "--mqtt-url", envvar="EVALPAD_BRIDGE_MQTT_URL",
                                 help="The broker as mqtt://host:port, optionally with the pad's "
                                 "credentials: mqtt://DEV:PASSWORD@host:port."),
    password: str | None = typer.Option(None, "--password", envvar=PASSWORD_ENV,
                                        help="The pad's broker password (from `evalpad device add`), "
                                        "if not in the URL."),
    prefix: str = typer.Option(spec.PREFIX, "--prefix", envvar="EVALPAD_MQTT_PREFIX"),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Relay a pad wired over USB serial to MQTT (串口桥), reconnecting when the cable is pulled."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        topics.check_device_id(dev)
        url = parse_mqtt_url(mqtt_url)
    except (MqttUrlError, ProtocolError) as exc:
        raise typer.BadParameter(str(exc))
    secret = url.password or password
    if not secret:
        raise typer.BadParameter(f"no password for pad {dev}: put it in --mqtt-url "
                                 f"(mqtt://{dev}:PASSWORD@host:1883), --password or {PASSWORD_ENV}")
    target = MqttTarget(url.host, url.port, url.username or dev, secret)
    relay = SerialBridge(port, dev, target, prefix)
    signal.signal(signal.SIGTERM, lambda *_: relay.stop())
    if not os.path.exists(port):
        typer.echo(f"{port} is not there yet; waiting for the pad to be plugged in (Ctrl-C to stop)")
    try:
        relay.run()
    except KeyboardInterrupt:
        relay.stop()

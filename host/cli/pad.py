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

pad_app = Typer(help="Pads over USB: build the firmware, write a pad's identity, deploy.",
                      no_args_is_help=True)

PROGRAM_DIRS = ["/lib/" + top for top in builder.SOURCES]   # what deploy owns on the pad
SLOT_FILES = ("/slot", "/slot.tmp", "/lib/release.json")      # the loader's pointer, slot a's manifest
PORT_HELP = "the pad's USB serial port, e.g. /dev/ttyUSB0 (list: python -m serial.tools.list_ports)"


def _kb(n: int) -> str:
    return "{:.1f} KB".format(n / 1024)


@pad_app.command("build")
def build_cmd(out: Annotated[Path, typer.Option(help="where to write the deploy tree")] = builder.DEFAULT_OUT,
              ) -> None:
    """Compile firmware/ and protocol/ with mpy-cross into a deploy tree; report sizes."""
    try:
        result = builder.build(out)
    except builder.BuildError as exc:
        raise fail(exc)
    for f in result.files:
        typer.echo("{:<48} {:>8} -> {:>8}".format(f.target, f.source_bytes, f.target_bytes))
    typer.echo("{} files, {} of source -> {} on the pad, in {}".format(
        len(result.files), _kb(result.source_bytes), _kb(result.total_bytes), result.out))
    for w in result.warnings:
        typer.echo("warning: " + w, err=True)


@pad_app.command("provision")
def provision_cmd(
    port: str = typer.Option(..., help=PORT_HELP),
    dev: str = typer.Option(..., help="device id, e.g. qp-0107 (also its broker user name)"),
    wifi_ssid: str = typer.Option(..., help="Wi-Fi network name"),
    wifi_password: str = typer.Option(..., help="Wi-Fi password ('' for an open network)"),
    mqtt_host: str = typer.Option(..., help="the broker's host name or IP address"),
    mqtt_port: int = typer.Option(identity.DEFAULT_MQTT_PORT),
    mqtt_password: str = typer.Option(None, help="the pad's broker password (default: generate one)"),
    prefix: str = typer.Option(spec.PREFIX, help="topic prefix"),
    ntp_host: str = typer.Option(identity.DEFAULT_NTP),
    window: str = typer.Option(None, help="the window the pad sits on (shown until the host says)"),
    layout: str = typer.Option("two", help="rating keys: two (满意/不满意) or five (five levels, 好差评)"),
    reason_s: int = typer.Option(15, help="five keys: seconds the reasons show after a bad review (0: off)"),
    broker_passwords: Annotated[Path | None, typer.Option(
        help="also register the pad's password in this Mosquitto password file")] = None,
    baud: int = typer.Option(BAUD),
    timeout: float = typer.Option(ANSWER_TIMEOUT_S, help="seconds to wait for the pad's REPL"),
    reset: bool = typer.Option(True, help="soft-reset the pad afterwards so it starts with it"),
) -> None:
    """Write the pad's identity file /evalpad.json (device id, Wi-Fi, broker) over USB."""
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
    typer.echo("{}: wrote {} on {}".format(dev, identity.PATH, port))
    if broker_passwords is not None:
        set_password(broker_passwords, dev, ident["mqtt_password"])
        typer.echo("{}: broker account set in {} (reload Mosquitto to apply)".format(dev, broker_passwords))
    elif not mqtt_password:
        typer.echo("{}: generated broker password {} -- add it to the broker for user {} "
                   "(or rerun with --broker-passwords FILE)".format(dev, ident["mqtt_password"], dev))


@pad_app.command("deploy")
def deploy_cmd(
    port: str = typer.Option(..., help=PORT_HELP),
    tree: Annotated[Path | None, typer.Option(
        help="a tree from `evalpad pad build` (default: build now)")] = None,
    baud: int = typer.Option(BAUD),
    timeout: float = typer.Option(ANSWER_TIMEOUT_S, help="seconds to wait for the pad's REPL"),
    reset: bool = typer.Option(True, help="soft-reset the pad afterwards to start the new program"),
) -> None:
    """Copy the compiled program to the pad (identity and event log are left alone)."""
    try:
        if tree is None:
            tree = builder.build().out
        elif not tree.is_dir():
            raise builder.BuildError("{} is not a deploy tree: run `evalpad pad build --out {}` "
                                     "first".format(tree, tree))
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
                typer.echo("removed stale {}".format(stale))
            # The deployed program (slot "a") is the one that runs from now on: drop the
            # update pointer and slot a's old release manifest (firmware/loader.py, the loader).
            for stale in SLOT_FILES:
                if padfs.remove(repl, stale):
                    typer.echo("removed {}".format(stale))
            if reset:
                repl.soft_reset()
    except (ReplError, builder.BuildError) as exc:
        raise fail(exc)
    typer.echo("deployed {} files ({}) to {}".format(len(files), _kb(total), port))

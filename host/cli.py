"""The `evalpad` command: one entry point for operators (Typer)."""

from __future__ import annotations

import typer

app = typer.Typer(help="evalpad: evaluation pads (评价器) and the host that scores each window.",
                  no_args_is_help=True)


@app.callback()
def main() -> None:
    """evalpad: evaluation pads (评价器) and the host that scores each window."""


@app.command()
def version() -> None:
    """Print evalpad's version and the pad<->host contract version."""
    from importlib.metadata import version as dist_version

    from protocol import spec

    typer.echo(f"evalpad {dist_version('evalpad')} (contract v{spec.VERSION})")


# Simulator, demo and serial bridge (issue 7): implemented in their own packages.
from host.bridge.command import bridge as _bridge  # noqa: E402

app.command("bridge")(_bridge)


if __name__ == "__main__":
    app()

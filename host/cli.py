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
from simulator.commands import demo as _demo  # noqa: E402
from simulator.commands import simulate as _simulate  # noqa: E402

app.command("bridge")(_bridge)
app.command("simulate")(_simulate)
app.command("demo")(_demo)

# Fleet, users, tokens and backup (issue 4, control side): host/cli_admin.py.
from host.cli_admin import register as _register_admin  # noqa: E402

_register_admin(app)

# Review (issue 5): `evalpad volume | violations | faults | waive`, host/cli_review.py.
from host.cli_review import register as _register_review  # noqa: E402

_register_review(app)

# Kept-aside messages (issue 10): `evalpad rejected list | replay`, host/cli_rejected.py.
from host.cli_rejected import register as _register_rejected  # noqa: E402

_register_rejected(app)

# Pads over USB (issue 3): `evalpad pad build | provision | deploy`, host/provision/.
from host.provision.cli import pad_app as _pad_app  # noqa: E402

app.add_typer(_pad_app, name="pad")

# Releases over the air (issue 14): `evalpad pad release | releases`, `evalpad fleet ...`.
from host.releases.cli import register as _register_releases  # noqa: E402

_register_releases(app, _pad_app)


# Host runtime (issue 4): `evalpad serve` and `evalpad db upgrade`.
db_app = typer.Typer(help="The database: schema upgrades (Alembic).", no_args_is_help=True)
app.add_typer(db_app, name="db")


@app.command()
def serve(log_level: str = typer.Option("INFO", help="DEBUG, INFO, WARNING or ERROR.")) -> None:
    """Run the host: ingest from the broker (started here if EVALPAD_MQTT_URL is unset) and the HTTP API."""
    import logging

    from host.cli_admin import load_settings
    from host.service import HostStartError, run

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        run(load_settings())
    except HostStartError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=2)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database (EVALPAD_DATABASE_URL; default SQLite in the data dir) to the newest schema."""
    from host.cli_admin import load_settings
    from host.db import upgrade

    settings = load_settings()
    upgrade(settings.db_url)
    typer.echo(f"database schema is current: {settings.db_url.split('@')[-1]}")


# Scoring (issue 5): `evalpad report | month | calendar`, host/scoring/cli.py.
from host.scoring.cli import register as _register_scoring  # noqa: E402

_register_scoring(app)


if __name__ == "__main__":
    app()

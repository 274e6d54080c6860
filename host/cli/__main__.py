"""``python -m host.cli``: the `evalpad` command."""

from host.cli.main import app

app()

"""The `evalpad` command (host.cli.main builds it; one module per group of commands)."""

from host.cli.main import app

__all__ = ["app"]

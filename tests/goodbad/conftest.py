"""The scoring tests' databases (SQLite and PostgreSQL, migrated once per session), reused."""

from tests.scoring.conftest import pg_template, sqlite_template, world

__all__ = ["pg_template", "sqlite_template", "world"]

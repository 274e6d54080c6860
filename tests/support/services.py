"""Real services for tests: a private Mosquitto and throwaway PostgreSQL databases.

With CI=true a missing service is a failure, never a silent skip (the card: tests run
against real parts, and a skipped suite proves nothing).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

PG_ADMIN_URL = os.environ.get("EVALPAD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def missing(what: str) -> None:
    """Skip locally, fail in CI."""
    if in_ci():
        pytest.fail(f"CI=true but {what}", pytrace=False)
    pytest.skip(what)


def need_mosquitto() -> None:
    """Skip (locally) or fail (CI) a test whose hall needs a Mosquitto this machine lacks."""
    from host.broker.mosquitto import BrokerError, find_mosquitto

    try:
        find_mosquitto()
    except BrokerError as exc:
        missing(str(exc))


def _sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A new empty database on the local server; dropped afterwards. Yields its SQLAlchemy URL."""
    import psycopg

    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        missing(f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({exc}); "
                "start it or set EVALPAD_TEST_PG")
        raise  # unreachable: missing() skips or fails
    name = "evalpad_test_" + uuid.uuid4().hex[:12]
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            base = PG_ADMIN_URL.rsplit("/", 1)[0]
            yield _sqlalchemy_url(f"{base}/{name}")
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

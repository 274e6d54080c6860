"""Fixtures every test may use: the real MicroPython, a private Mosquitto, databases."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from host.broker.mosquitto import HOST_USER, BrokerError, Mosquitto, find_mosquitto
from tests.support import micropython as mp
from tests.support.services import missing, throwaway_postgres


@pytest.fixture(scope="session")
def micropython() -> object:
    """The real MicroPython interpreter: ``micropython.run(code)`` returns stdout."""
    why = mp.available()
    if why:
        missing(f"MicroPython cannot run: {why}")
    return mp


class Broker:
    """A running private Mosquitto plus the credentials to talk to it."""

    def __init__(self, server: Mosquitto) -> None:
        self.server = server
        self.host = server.bind
        self.port = server.port
        self.host_password = secrets.token_urlsafe(12)
        server.add_user(HOST_USER, self.host_password)
        self.host_user = HOST_USER

    def add_pad(self, dev: str) -> str:
        """Give a pad an account (username = device id); returns its password."""
        password = secrets.token_urlsafe(12)
        self.server.add_user(dev, password)
        return password


def _start_broker(directory: Path) -> Mosquitto:
    try:
        find_mosquitto()
    except BrokerError as exc:
        missing(str(exc))
    server = Mosquitto(directory)
    server.start()
    return server


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A private Mosquitto on a free port, from the project's own config (auth, ACL, persistence)."""
    server = _start_broker(tmp_path / "broker")
    try:
        yield Broker(server)
    finally:
        server.stop()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """SQLAlchemy URL of a throwaway PostgreSQL database."""
    with throwaway_postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each database test runs on the embedded default (SQLite) and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'evalpad.db'}"
    else:
        with throwaway_postgres() as url:
            yield url

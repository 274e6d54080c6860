"""Fixtures every test may use: the real MicroPython, a private Mosquitto, databases."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from host.broker.mosquitto import (
    Mosquitto,
    hash_password,
    read_passwords,
    write_passwords,
)
from tests.support import micropython as mp
from tests.support.services import missing, need_mosquitto, throwaway_postgres


@pytest.fixture(scope="session")
def micropython() -> object:
    """The real MicroPython interpreter: ``micropython.run(code)`` returns stdout."""
    why = mp.available()
    if why:
        missing(f"MicroPython cannot run: {why}")
    return mp


class Broker:
    """A running private Mosquitto plus the credentials to talk to it.

    ``host_user``/``host_password`` is the account of host instance ``host-1``. The broker
    makes the user name the client id (protocol.md Delivery 7), so two clients on one
    account knock each other off: anything that runs beside an ingest (a watcher, a second
    instance) needs its own host account (``add_host``).
    """

    HOST = "host-1"

    def __init__(self, server: Mosquitto) -> None:
        self.server = server
        self.host = server.bind
        self.port = server.port
        self.host_user = self.HOST
        self.host_password = self.add_host(self.HOST)

    def add_host(self, instance: str) -> str:
        """Give a host instance (or a test's watcher) its own account; returns its password."""
        password = secrets.token_urlsafe(12)
        self.server.add_user(instance, password)
        return password

    def host_url(self, instance: str = HOST) -> str:
        password = self.host_password if instance == self.HOST else self.add_host(instance)
        return f"mqtt://{instance}:{password}@{self.host}:{self.port}"

    def add_pad(self, dev: str) -> str:
        """Give a pad an account (username = device id); returns its password."""
        password = secrets.token_urlsafe(12)
        self.server.add_user(dev, password)
        return password

    def add_pads(self, devs: list[str]) -> dict[str, str]:
        """Accounts for many pads at once (one reload); returns their passwords."""
        passwords = {dev: secrets.token_urlsafe(12) for dev in devs}
        users = read_passwords(self.server.password_file)
        users.update({dev: hash_password(pw) for dev, pw in passwords.items()})
        write_passwords(self.server.password_file, users)
        self.server.reload()
        return passwords


def _start_broker(directory: Path, prefix: str | None = None) -> Mosquitto:
    """A private Mosquitto from the project's config (``prefix``: the topics' prefix)."""
    need_mosquitto()
    server = Mosquitto(directory) if prefix is None else Mosquitto(directory, prefix=prefix)
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

"""Fixtures for the review tests (R3, R6, R7, R8): a migrated database and a small hall."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlmodel import Session

from host.clock import RULES_TZ, to_ms
from host.db import make_engine, upgrade
from tests.review.facts import Hall
from tests.support.services import throwaway_postgres


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    """Asia/Shanghai wall time -> Unix ms."""
    return to_ms(datetime(year, month, day, hour, minute, second, tzinfo=RULES_TZ))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated by the real Alembic revision; each test gets a copy."""
    path = tmp_path_factory.mktemp("review-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_migrated() -> Iterator[str]:
    """One PostgreSQL database for these tests, migrated by the real Alembic revision."""
    with throwaway_postgres() as url:
        upgrade(url)
        yield url


def _empty_pg(url: str) -> None:
    """Every table emptied (ids restarted), the schema kept: a fresh database, fast."""
    import psycopg

    listing = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        tables = [r[0] for r in conn.execute(listing)]
        conn.execute("SET LOCAL synchronous_commit TO OFF")  # a throwaway database: no fsync wait
        conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Overrides the suite's ``db_url`` for these tests: the same two engines, already migrated
    by ``host.db.upgrade`` (SQLite: a copy of a migrated file; PostgreSQL: one migrated
    database emptied before each test), so each test saves a migration run."""
    if request.param == "sqlite":
        target = tmp_path / "evalpad.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    url = request.getfixturevalue("pg_migrated")
    _empty_pg(url)
    yield url


@pytest.fixture
def db(db_url: str) -> Iterator[Session]:
    """A session on a database migrated with the real Alembic revision (SQLite and PostgreSQL)."""
    upgrade(db_url)  # a no-op on the migrated copy; proves it is current
    engine = make_engine(db_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.fixture
def hall(db: Session) -> Hall:
    return Hall(db)

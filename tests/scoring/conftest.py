"""A migrated database per test, fast: migrations run once per session into a template
(PostgreSQL: CREATE DATABASE ... TEMPLATE; SQLite: a file copy), then each test gets a copy."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from host.db import upgrade
from tests.scoring.world import World, sh
from tests.support.services import PG_ADMIN_URL, missing

NOW = sh(date(2026, 12, 2)) + 9 * 3_600_000      # 2 Dec 2026, 09:00 Shanghai: November has ended


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    import psycopg

    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        missing(f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({exc})")
        raise
    name = "evalpad_tmpl_" + uuid.uuid4().hex[:12]
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            upgrade(f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}")
            yield name
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """A fresh migrated database (SQLite and PostgreSQL), the clock on 2 Dec 2026, 09:00 Shanghai."""
    if request.param == "sqlite":
        path = tmp_path / "evalpad.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        w = World(f"sqlite:///{path}", NOW, migrate=False)
        try:
            yield w
        finally:
            w.engine.dispose()
        return
    import psycopg

    template = request.getfixturevalue("pg_template")
    name = "evalpad_test_" + uuid.uuid4().hex[:12]
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        w = World(f"{base}/{name}", NOW, migrate=False)
        try:
            yield w
        finally:
            w.engine.dispose()
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

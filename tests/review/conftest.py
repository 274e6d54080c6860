"""Fixtures for the review tests (R3, R6, R7, R8): a migrated database and a small hall."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlmodel import Session

from host.clock import RULES_TZ, to_ms
from host.db import make_engine, upgrade
from tests.review.facts import Hall


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    """Asia/Shanghai wall time -> Unix ms."""
    return to_ms(datetime(year, month, day, hour, minute, second, tzinfo=RULES_TZ))


@pytest.fixture
def db(db_url: str) -> Iterator[Session]:
    """A session on a database migrated with the real Alembic revision (SQLite and PostgreSQL)."""
    upgrade(db_url)
    engine = make_engine(db_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.fixture
def hall(db: Session) -> Hall:
    return Hall(db)

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from tests.scoring.world import World, sh


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    """A fresh database (SQLite and PostgreSQL) with the clock on 2 Dec 2026, 09:00 Shanghai."""
    w = World(db_url, sh(date(2026, 12, 2)) + 9 * 3_600_000)
    try:
        yield w
    finally:
        w.engine.dispose()

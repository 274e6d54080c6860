"""The database fixtures and the schema: Alembic builds it on SQLite and PostgreSQL, and the
revisions (0001, then one new revision per schema change, in one line) match the models.
"""

from __future__ import annotations

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from host import db
from tests.support.services import PG_ADMIN_URL, throwaway_postgres

REGEN_HINT = ("host/models and the Alembic revisions differ: run scripts/new-migration \"what changed\", "
              "review the new revision and commit it")


def _pg_databases() -> set[str]:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database")}


@pytest.mark.postgres
def test_throwaway_postgres_is_usable_then_dropped() -> None:
    with throwaway_postgres() as url:
        name = url.rsplit("/", 1)[1]
        assert name in _pg_databases()
        engine = db.make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x int)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
            assert conn.execute(text("SELECT x FROM t")).scalar_one() == 1
        engine.dispose()
    assert name not in _pg_databases()


@pytest.mark.postgres
def test_throwaway_postgres_is_dropped_even_with_open_connections() -> None:
    """A test that forgets to dispose its engine must not leave databases behind."""
    with throwaway_postgres() as url:
        name = url.rsplit("/", 1)[1]
        engine = db.make_engine(url)
        conn = engine.connect()
        conn.execute(text("SELECT 1"))
    assert name not in _pg_databases()
    conn.invalidate()       # the server already ended this connection (DROP ... WITH (FORCE))
    engine.dispose()


def test_upgrade_builds_every_model_table(db_url: str) -> None:
    db.upgrade(db_url)
    db.upgrade(db_url)      # idempotent: runs at every start
    engine = db.make_engine(db_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(SQLModel.metadata.tables) <= tables, REGEN_HINT
    assert tables - set(SQLModel.metadata.tables) == {"alembic_version"}


def test_migration_matches_the_models(db_url: str) -> None:
    db.upgrade(db_url)
    engine = db.make_engine(db_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "render_as_batch": conn.dialect.name == "sqlite"})
            diff = compare_metadata(ctx, SQLModel.metadata)
    finally:
        engine.dispose()
    assert diff == [], f"{REGEN_HINT}:\n" + "\n".join(map(str, diff))


def test_events_are_unique_per_device_and_seq(db_url: str) -> None:
    """Contract "Delivery" 4: (dev, seq) is unique in the schema itself, on both databases."""
    db.upgrade(db_url)
    engine = db.make_engine(db_url)
    try:
        insp = inspect(engine)
        table = next(t for t in SQLModel.metadata.tables.values() if t.name == "event")
        constraints = insp.get_unique_constraints(table.name)
        uniques: list[set[str | None]] = [set(u["column_names"]) for u in constraints]
        uniques += [set(i["column_names"]) for i in insp.get_indexes(table.name) if i.get("unique")]
        pk = set(insp.get_pk_constraint(table.name)["constrained_columns"])
    finally:
        engine.dispose()
    assert {"device_id", "seq"} in [*uniques, pk], (uniques, pk)


@pytest.mark.postgres
def test_pg_url_fixture_gives_an_empty_database(pg_url: str) -> None:
    engine = db.make_engine(pg_url)
    try:
        assert inspect(engine).get_table_names() == []
        with engine.connect() as conn:
            assert conn.execute(text("SELECT current_database()")).scalar_one().startswith("evalpad_test_")
    finally:
        engine.dispose()


def test_revisions_form_one_chain_from_the_initial_one() -> None:
    """One initial revision (0001, the first schema), and each later revision
    added on top of the chain: one base, one head, no branches."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(db.alembic_config("sqlite://"))
    revisions = list(scripts.walk_revisions())
    assert [r.revision for r in revisions if r.down_revision is None] == ["0001"], (
        "host/migrations/versions must hold one initial revision, 0001_initial_schema.py")
    assert len(scripts.get_heads()) == 1, "revisions branch: chain each new one on the previous head"


def test_0005_keeps_rejected_messages_from_before_as_bytes(db_url: str) -> None:
    """Rows kept before revision 0005 had only text: they get it back as raw UTF-8 bytes."""
    db.upgrade(db_url, "0004")
    engine = db.make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO rejectedmessage (received_ms, topic, device_id, code, reason, "
                              "payload) VALUES (1, 'evalpad/v1/qp-0001/event', 'qp-0001', 'not_json', 'r', "
                              "'{窗口')"))
            conn.execute(text("INSERT INTO device (id, label, registered_ms) VALUES ('qp-0001', '', 0)"))
            conn.execute(text("INSERT INTO devicestatus (device_id, power, online, faults, heartbeat_s, "
                              "buffered) VALUES ('qp-0001', 'on', true, '', 30, 5)"))
        db.upgrade(db_url)
        with engine.connect() as conn:
            row = conn.execute(text("SELECT raw, seq FROM rejectedmessage")).one()
            assert (bytes(row[0]), row[1]) == ("{窗口".encode(), None)
            conn.execute(text("UPDATE devicestatus SET buffered = 9007199254740991"))
            assert conn.execute(text("SELECT buffered FROM devicestatus")).scalar_one() == 2 ** 53 - 1
    finally:
        engine.dispose()


def test_sqlite_commits_are_on_disk_before_anything_is_acknowledged(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Delivery 3: an event is acknowledged only once committed, and the pad then drops it. In
    WAL mode SQLite's NORMAL syncs only at checkpoints, so a power cut of the host machine
    could lose acknowledged events; FULL (2) syncs the log at every commit. Every connection
    the engine hands out (the writer's, the pages') must say so."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'evalpad.db'}")
    try:
        conns = [engine.connect() for _ in range(2)]
        assert [c.execute(text("PRAGMA synchronous")).scalar_one() for c in conns] == [2, 2]
        assert conns[0].execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        for c in conns:
            c.close()
    finally:
        engine.dispose()

"""An API harness: the real app on a migrated database (SQLite or PostgreSQL), a manual clock,
two windows with a pad each, and a bearer token for every role (staff of each window)."""

from __future__ import annotations

import queue
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from host import fleet
from host.app import create_app
from host.auth.users import create_user, issue_token
from host.clock import ManualClock
from host.db import make_engine, upgrade
from host.settings import Settings
from tests.support.services import PG_ADMIN_URL, throwaway_postgres

T0 = 1_795_600_000_000  # 2026-11-25 (a Wednesday) 08:26:40 Asia/Shanghai
ROLES = ("admin", "management", "it", "patrol", "staff")


class RecordingPublish:
    """Stands in for the ingest's publish where a test is about roles, not delivery."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, int, bool]] = []
        self.fail: Exception | None = None

    def __call__(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        if self.fail is not None:
            raise self.fail
        self.sent.append((topic, payload, qos, retain))


@dataclass
class Api:
    client: TestClient
    engine: Engine
    clock: ManualClock
    settings: Settings
    tokens: dict[str, str] = field(default_factory=dict)
    broker_connected: bool | None = None

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def session(self) -> Session:
        return Session(self.engine)


def build_api(db_url: str, data_dir: Path, publish: Callable[..., None]) -> Iterator[Api]:
    upgrade(db_url)
    engine = make_engine(db_url)
    clock = ManualClock(T0)
    settings = Settings(data_dir=data_dir, database_url=db_url)  # type: ignore[call-arg]
    holder: dict[str, Any] = {}
    app = create_app(settings, engine, clock, publish, broker_status=lambda: holder["api"].broker_connected)
    with TestClient(app, raise_server_exceptions=True) as client:
        api = Api(client=client, engine=engine, clock=clock, settings=settings)
        holder["api"] = api
        with Session(engine) as s:
            for number, pad in (("A01", "pad-a01"), ("A02", "pad-a02")):
                fleet.add_window(s, number=number, name=f"窗口 {number}", clock=clock, actor="test")
                fleet.add_device(s, device_id=pad, window_number=number, clock=clock, actor="test")
            for role in ROLES:
                win = "A01" if role == "staff" else None
                u = create_user(
                    s, name=role, role=role, password=None, clock=clock, actor="test", window_number=win
                )
                api.tokens[role] = issue_token(s, u, clock=clock, name="test", ttl_ms=None)
            u = create_user(
                s, name="staff2", role="staff", password=None, clock=clock, actor="test", window_number="A02"
            )
            api.tokens["staff2"] = issue_token(s, u, clock=clock, name="test", ttl_ms=None)
            s.commit()
        clock.advance(1000)
        yield api
    engine.dispose()


# -- databases: migrated once per session, copied per test ---------------------------------------
# Running the migrations costs 2-4 s per PostgreSQL database on this 2-core machine; a copy of
# a migrated template costs well under one. Each test still gets its own database, made by
# the real migrations (host.db.upgrade), and build_api runs upgrade again (a no-op at head).


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str]:
    with throwaway_postgres() as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "evalpad.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Overrides the shared fixture: the same two databases, each a copy of a migrated one."""
    if request.param == "sqlite":
        target = tmp_path / "evalpad.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    template = request.getfixturevalue("_pg_template").rsplit("/", 1)[1]
    name = "evalpad_test_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = %s AND pid <> pg_backend_pid()", (template,))
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        try:
            yield f"postgresql+psycopg://{PG_ADMIN_URL.split('://', 1)[1].rsplit('/', 1)[0]}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def publish() -> RecordingPublish:
    return RecordingPublish()


@pytest.fixture
def api(db_url: str, tmp_path: Path, publish: RecordingPublish) -> Iterator[Api]:
    """The API on SQLite and on PostgreSQL."""
    yield from build_api(db_url, tmp_path, publish)


@pytest.fixture
def sqlite_api(tmp_path: Path, publish: RecordingPublish) -> Iterator[Api]:
    """The API on SQLite only (for checks whose logic does not touch the database engine)."""
    yield from build_api(f"sqlite:///{tmp_path / 'evalpad.db'}", tmp_path, publish)


# -- real MQTT clients ------------------------------------------------------------------------------

CONNECT_TIMEOUT_S = 5.0


class MqttClient:
    """A paho client that records what it receives (callbacks only enqueue)."""

    def __init__(self, port: int, user: str, password: str, client_id: str | None = None) -> None:
        self.inbox: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.connected = threading.Event()
        self.result: Any = None
        self.c = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or user, protocol=mqtt.MQTTv311
        )
        self.c.username_pw_set(user, password)
        self.c.on_connect = self._on_connect
        self.c.on_message = lambda c, u, m: self.inbox.put((m.topic, m.payload))
        self.c.connect("127.0.0.1", port)
        self.c.loop_start()

    def _on_connect(self, client, userdata, flags, reason_code, properties):  # type: ignore[no-untyped-def]
        self.result = reason_code
        self.connected.set()

    def wait_connected(self) -> bool:
        """True if the broker accepted the login, False if it refused it."""
        assert self.connected.wait(CONNECT_TIMEOUT_S), "no CONNACK from the broker"
        return not self.result.is_failure

    def subscribe(self, topic: str) -> None:
        got = threading.Event()
        self.c.on_subscribe = lambda *a: got.set()
        self.c.subscribe(topic, qos=1)
        assert got.wait(CONNECT_TIMEOUT_S)

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        info = self.c.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(CONNECT_TIMEOUT_S)
        if not info.is_published():
            raise ConnectionError(f"broker did not take the publish to {topic}")

    def get(self, timeout: float = 5.0) -> tuple[str, bytes]:
        return self.inbox.get(timeout=timeout)

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()


@pytest.fixture
def live_api(db_url: str, tmp_path: Path, broker: Any) -> Iterator[tuple[Api, Any]]:
    """The API publishing through a real Mosquitto (the broker's files live in tmp_path/broker,
    which is ``settings.data_dir / "broker"``, so device accounts land where the broker reads)."""
    host = MqttClient(broker.port, broker.host_user, broker.host_password, client_id="test-host")
    assert host.wait_connected()
    try:
        yield from ((api, broker) for api in build_api(db_url, tmp_path, host.publish))
    finally:
        host.close()


def pad_client(api: Api, broker: Any, device_id: str) -> MqttClient:
    """A pad with a fresh broker password from the API, subscribed to its own cmd topic."""
    r = api.client.post(f"/api/v1/devices/{device_id}/password", headers=api.auth("it"), json={})
    assert r.status_code == 200, r.text
    pad = MqttClient(broker.port, device_id, r.json()["password"])
    assert pad.wait_connected()
    pad.subscribe(f"evalpad/v1/{device_id}/cmd")
    return pad

"""Fixtures of the ingest tests: a migrated database, pads on windows, an in-process ingest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from host.clock import Clock, ManualClock
from host.db import make_engine, upgrade
from host.ingest.mqtt import parse_mqtt_url
from host.ingest.pipeline import IngestPipeline
from host.models import Assignment, Device, Event, Window
from host.settings import Settings
from tests.ingest.pads import T0


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    upgrade(db_url)
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


def place(engine: Engine, dev: str, window: str = "A01", start_ms: int = 0,
          end_ms: int | None = None, register: bool = True) -> None:
    """Register ``dev`` (if asked) and assign it to window ``window`` from ``start_ms`` (R10)."""
    with Session(engine) as s:
        w = s.scalars(select(Window).where(Window.number == window)).first()  # type: ignore[arg-type]
        if w is None:
            w = Window(number=window, name="窗口 " + window)
            s.add(w)
            s.flush()
        if register and s.get(Device, dev) is None:
            s.add(Device(id=dev, registered_ms=start_ms))
            s.flush()
        s.add(Assignment(device_id=dev, window_id=w.id, start_ms=start_ms, end_ms=end_ms, by="test"))
        s.commit()


def register(engine: Engine, dev: str) -> None:
    with Session(engine) as s:
        s.add(Device(id=dev, registered_ms=0))
        s.commit()


def count_events(engine: Engine, dev: str | None = None) -> int:
    with Session(engine) as s:
        q = select(func.count()).select_from(Event)
        if dev:
            q = q.where(Event.device_id == dev)  # type: ignore[arg-type]
        return int(s.scalar(q) or 0)


def wait_for(cond: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def settings_for(broker: Any, db_url: str, **kw: Any) -> Settings:
    """Settings of an ingest instance (default ``host-1``) logging in with its own account."""
    instance = kw.pop("instance", broker.HOST)
    values: dict[str, Any] = {"database_url": db_url, "instance": instance,
                              "mqtt_url": broker.host_url(instance)}
    values.update(kw)
    return Settings(**values)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def start_ingest(broker: Any, db_url: str, engine: Engine) -> Iterator[Callable[..., IngestPipeline]]:
    """Start an in-process ingest (``clock`` defaults to a ManualClock at T0); stopped at the end."""
    running: list[IngestPipeline] = []

    def start(clock: Clock | None = None, **kw: Any) -> IngestPipeline:
        settings = settings_for(broker, db_url, **kw)
        assert settings.mqtt_url is not None
        address = parse_mqtt_url(settings.mqtt_url)
        pipeline = IngestPipeline(settings, engine, clock or ManualClock(T0), address)
        pipeline.start()
        assert pipeline.client.connected.wait(10), "ingest did not connect"
        running.append(pipeline)
        return pipeline

    yield start
    for p in running:
        if p.writer._thread is not None and p.writer._thread.is_alive():
            p.stop()


class IngestProcess:
    """``python -m host.ingest`` as a child process, so tests can ``kill -9`` it."""

    def __init__(self, broker: Any, db_url: str, workdir: Path, instance: str, group: str = "") -> None:
        self.log = workdir / f"ingest-{instance}.log"
        env = {**os.environ, "EVALPAD_DATABASE_URL": db_url, "EVALPAD_INSTANCE": instance,
               "EVALPAD_SHARE_GROUP": group, "EVALPAD_DATA_DIR": str(workdir / "data"),
               "EVALPAD_MQTT_URL": broker.host_url(instance)}
        self.args = ([sys.executable, "-m", "host.ingest"], env, workdir)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> IngestProcess:
        argv, env, cwd = self.args
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        return self

    def wait_subscribed(self, timeout: float = 20.0) -> None:
        wait_for(lambda: "subscribing" in self.log.read_text() or self._dead(), timeout, "ingest subscribed")
        assert not self._dead(), self.log.read_text()

    def _dead(self) -> bool:
        return self.proc is not None and self.proc.poll() is not None

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture
def spawn_ingest(broker: Any, db_url: str, engine: Engine,
                 tmp_path: Path) -> Iterator[Callable[..., IngestProcess]]:
    children: list[IngestProcess] = []

    def spawn(instance: str = "host-1", group: str = "", url: str | None = None) -> IngestProcess:
        child = IngestProcess(broker, url or db_url, tmp_path, instance, group).start()
        children.append(child)
        child.wait_subscribed()
        return child

    yield spawn
    for child in children:
        if child.proc is not None and child.proc.poll() is None:
            child.proc.kill()
            child.proc.wait()

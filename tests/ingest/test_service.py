"""`evalpad serve`: database, its own Mosquitto when no broker is configured, ingest and API."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from host.broker import accounts, mosquitto
from host.broker.mosquitto import free_port
from host.db import make_engine, upgrade
from host.models import Event
from host.service import HostStartError, broker_for
from host.settings import Settings
from tests.ingest.conftest import count_events, place, wait_for
from tests.ingest.pads import SimPad
from tests.ingest.test_crashes import stream
from tests.support.services import need_mosquitto

N_CRASH = 200     # per pad, at test_crashes' pace: the stream outlasts the broker's restart


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.mark.parametrize("stop", ["sigterm", "ctrl-c"])
def test_serve_starts_its_own_broker_serves_health_and_stops_cleanly(tmp_path: Path, stop: str):
    """Stopped by systemd (SIGTERM to serve) or by Ctrl-C in its terminal (SIGINT to the whole
    process group): the host stops, then its broker, and nothing in the log says the broker
    crashed (a Ctrl-C reached the broker too and the watchdog restarted it while stopping)."""
    need_mosquitto()
    http_port, mqtt_port = free_port(), free_port()
    env = {**os.environ, "EVALPAD_DATA_DIR": str(tmp_path / "data"), "EVALPAD_HTTP_PORT": str(http_port),
           "EVALPAD_BROKER_PORT": str(mqtt_port), "EVALPAD_BROKER_BIND": "127.0.0.1"}
    env.pop("EVALPAD_MQTT_URL", None)
    env.pop("EVALPAD_DATABASE_URL", None)
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "host.cli", "serve"], env=env, cwd=tmp_path,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def healthy() -> bool:
            assert proc.poll() is None, log.read_text()
            try:
                return _get(f"http://127.0.0.1:{http_port}/healthz") == (
                    200, {"status": "ok", "database": "ok", "broker": "connected"})
            except OSError:
                return False

        wait_for(healthy, timeout=30, what="/healthz ok with the broker connected")
        assert (tmp_path / "data" / "evalpad.db").exists()
        assert "host-1:" in (tmp_path / "data" / "broker" / "passwd").read_text()
        if stop == "sigterm":
            proc.send_signal(signal.SIGTERM)
        else:
            os.killpg(proc.pid, signal.SIGINT)      # the terminal's Ctrl-C: the whole group
        assert proc.wait(30) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
    text = log.read_text()
    assert "ingest stopped" in text and "Traceback" not in text
    assert "died" not in text and "restarting" not in text, text
    time.sleep(0.2)
    with pytest.raises(OSError):            # its Mosquitto went with it
        import socket

        socket.create_connection(("127.0.0.1", mqtt_port), timeout=0.5).close()


class Serve:
    """`evalpad serve` with no broker configured, as a child we can `kill -9`."""

    def __init__(self, tmp_path: Path, http_port: int, mqtt_port: int) -> None:
        self.data = tmp_path / "data"
        self.http_port = http_port
        self.env = {**os.environ, "EVALPAD_DATA_DIR": str(self.data), "EVALPAD_HTTP_PORT": str(http_port),
                    "EVALPAD_BROKER_PORT": str(mqtt_port), "EVALPAD_BROKER_BIND": "127.0.0.1"}
        for var in ("EVALPAD_MQTT_URL", "EVALPAD_DATABASE_URL", "EVALPAD_INSTANCE"):
            self.env.pop(var, None)
        self.cwd = tmp_path
        self.log = tmp_path / "serve.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Serve:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "host.cli", "serve"], env=self.env,
                                         cwd=self.cwd, stdout=out, stderr=subprocess.STDOUT)
        return self

    def healthy(self) -> bool:
        assert self.proc is not None and self.proc.poll() is None, self.log.read_text()
        try:
            return _get(f"http://127.0.0.1:{self.http_port}/healthz") == (
                200, {"status": "ok", "database": "ok", "broker": "connected"})
        except OSError:
            return False

    def broker_pid(self) -> int:
        return int((self.data / "broker" / "mosquitto.pid").read_text())

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"                  # a zombie is dead, only not yet reaped by its parent


def _kill_if_alive(pid: int) -> None:
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)


@pytest.fixture
def mosquitto_installed() -> None:
    need_mosquitto()


@pytest.mark.slow
def test_after_kill9_of_serve_a_restart_replaces_its_orphaned_broker_and_is_healthy(
        tmp_path: Path, mosquitto_installed: None) -> None:
    """Issue 10: the orphaned Mosquitto kept the port and refused the restarted host ("Not
    authorized"), /healthz stayed 503. Now the restart finds its own orphan by the record in
    its data directory (pid, start time, command line), replaces it, and is healthy."""
    first = Serve(tmp_path, free_port(), free_port()).start()
    orphan = None
    second = None
    try:
        wait_for(first.healthy, timeout=30, what="the first serve healthy")
        orphan = first.broker_pid()
        # A second serve on the same data directory while the first runs: refused, nothing touched.
        passwd = (first.data / "broker" / "passwd").read_text()
        twin = Serve(tmp_path, free_port(), free_port()).start()
        assert twin.proc is not None and twin.proc.wait(30) == 2, twin.log.read_text()
        assert f"another evalpad serve (pid {first.proc.pid})" in twin.log.read_text()  # type: ignore[union-attr]
        assert _alive(orphan) and first.healthy()
        assert (first.data / "broker" / "passwd").read_text() == passwd
        assert first.proc is not None
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(10)
        time.sleep(0.5)
        assert _alive(orphan), "the kill -9 left no orphan: nothing to test"
        t0 = time.monotonic()
        second = Serve(tmp_path, first.http_port, int(first.env["EVALPAD_BROKER_PORT"])).start()
        wait_for(second.healthy, timeout=30, what="the restarted serve healthy")
        took = time.monotonic() - t0
        assert not _alive(orphan), "the orphaned broker still runs beside the new one"
        assert second.broker_pid() != orphan
        print(f"healthy {took:.1f} s after the restart")
        second.stop()
        assert second.proc is not None and second.proc.returncode == 0, second.log.read_text()
        assert "Traceback" not in second.log.read_text()
    finally:
        for s in (first, second):
            if s is not None and s.proc is not None and s.proc.poll() is None:
                s.proc.kill()
        if orphan is not None:
            _kill_if_alive(orphan)


class BuiltinBrokerPads:
    """What SimPad needs to reach the broker `evalpad serve` runs: its address and pad accounts
    (made as `evalpad device add` makes them: passwd, acl, SIGHUP to the running broker)."""

    def __init__(self, data: Path, port: int) -> None:
        self.host, self.port, self.directory = "127.0.0.1", port, data / "broker"

    def add_pad(self, dev: str) -> str:
        return accounts.issue_pad_password(self.directory, dev)


@pytest.mark.slow
def test_built_in_broker_killed_while_serve_runs_is_restarted_and_nothing_is_lost(
        tmp_path: Path, mosquitto_installed: None) -> None:
    """kill -9 of the built-in Mosquitto mid-stream: the host starts a new one on the same port,
    the pads reconnect and resend, every event is stored once and acknowledged."""
    serve = Serve(tmp_path, free_port(), free_port())
    db_url = f"sqlite:///{serve.data / 'evalpad.db'}"
    serve.data.mkdir(parents=True)
    upgrade(db_url)
    engine = make_engine(db_url)
    devs = ["qp-1101", "qp-1102"]
    for dev in devs:
        place(engine, dev)
    serve.start()
    killed = None
    pads: list[SimPad] = []
    try:
        wait_for(serve.healthy, timeout=30, what="serve healthy")
        pads = [SimPad(BuiltinBrokerPads(serve.data, int(serve.env["EVALPAD_BROKER_PORT"])), d) for d in devs]
        threads = stream(pads, n=N_CRASH)
        wait_for(lambda: count_events(engine) >= N_CRASH // 2, what="some events stored")
        killed = serve.broker_pid()
        os.kill(killed, signal.SIGKILL)
        wait_for(lambda: serve.broker_pid() != killed and serve.healthy(), timeout=30,
                 what="a new broker and the host connected to it")
        for t in threads:
            t.join()
        for pad in pads:
            assert pad.wait_acked(range(1, N_CRASH + 1), timeout=30, resend_every=2), pad.unacked()[:10]
        with Session(engine) as s:
            rows = s.exec(select(Event.device_id, func.count(), func.min(Event.seq), func.max(Event.seq))
                          .group_by(Event.device_id)).all()
        assert sorted(rows) == [(d, N_CRASH, 1, N_CRASH) for d in devs]
        assert "died" in serve.log.read_text()
        serve.stop()
        assert serve.proc is not None and serve.proc.returncode == 0, serve.log.read_text()
    finally:
        for pad in pads:
            pad.close()
        if serve.proc is not None and serve.proc.poll() is None:
            serve.proc.kill()
        for pid in (killed, _recorded_broker(serve.data)):
            if pid is not None:
                _kill_if_alive(pid)
        engine.dispose()


def _recorded_broker(data: Path) -> int | None:
    try:
        return int((data / "broker" / "mosquitto.pid").read_text())
    except (OSError, ValueError):
        return None


def test_serve_never_kills_a_process_that_is_not_its_own(tmp_path: Path, mosquitto_installed: None) -> None:
    """A stale record whose pid now belongs to another program, and a Mosquitto of someone
    else's on our port: neither is touched; serve says what is in the way."""
    http_port, mqtt_port = free_port(), free_port()
    stranger = subprocess.Popen(["sleep", "300"])
    foreign = mosquitto.Mosquitto(tmp_path / "someone-else", port=mqtt_port)
    foreign.start()
    serve = Serve(tmp_path, http_port, mqtt_port)
    try:
        broker_dir = serve.data / "broker"
        broker_dir.mkdir(parents=True)
        # What a crashed serve left: its record names a pid that is now someone else's.
        (broker_dir / "broker.owner.json").write_text(json.dumps(
            {"pid": stranger.pid, "started": 1, "argv": [mosquitto.find_mosquitto(), "-c", "x.conf"],
             "owner_pid": stranger.pid, "owner_started": 1}))
        serve.start()
        assert serve.proc is not None
        assert serve.proc.wait(30) == 2, serve.log.read_text()
        out = serve.log.read_text()
        assert str(mqtt_port) in out and "EVALPAD_BROKER_PORT" in out, out
        assert "Traceback" not in out
        assert stranger.poll() is None, "serve killed a process that was not its own"
        assert foreign.proc is not None and foreign.proc.poll() is None, "serve killed another's Mosquitto"
    finally:
        stranger.kill()
        stranger.wait()
        foreign.stop()
        if serve.proc is not None and serve.proc.poll() is None:
            serve.proc.kill()


def test_no_mosquitto_and_no_broker_url_says_how_to_fix(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(mosquitto.shutil, "which", lambda *a, **k: None)
    settings = Settings(data_dir=tmp_path, mqtt_url=None)  # type: ignore[call-arg]
    with pytest.raises(HostStartError) as err, broker_for(settings):
        pass
    assert "apt-get install mosquitto" in str(err.value) and "EVALPAD_MQTT_URL" in str(err.value)

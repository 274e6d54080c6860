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

from host.broker import mosquitto
from host.broker.mosquitto import free_port
from host.service import HostStartError, broker_for
from host.settings import Settings
from tests.ingest.conftest import wait_for
from tests.support.services import missing


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_serve_starts_its_own_broker_serves_health_and_stops_cleanly(tmp_path: Path):
    pytest.importorskip("host.api.app", reason="the HTTP API is not there yet")
    try:
        mosquitto.find_mosquitto()
    except mosquitto.BrokerError as exc:
        missing(str(exc))
    http_port, mqtt_port = free_port(), free_port()
    env = {**os.environ, "EVALPAD_DATA_DIR": str(tmp_path / "data"), "EVALPAD_HTTP_PORT": str(http_port),
           "EVALPAD_BROKER_PORT": str(mqtt_port), "EVALPAD_BROKER_BIND": "127.0.0.1"}
    env.pop("EVALPAD_MQTT_URL", None)
    env.pop("EVALPAD_DATABASE_URL", None)
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "host.cli", "serve"], env=env, cwd=tmp_path,
                                stdout=out, stderr=subprocess.STDOUT)
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
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
    text = log.read_text()
    assert "ingest stopped" in text and "Traceback" not in text
    time.sleep(0.2)
    with pytest.raises(OSError):            # its Mosquitto went with it
        import socket

        socket.create_connection(("127.0.0.1", mqtt_port), timeout=0.5).close()


def test_no_mosquitto_and_no_broker_url_says_how_to_fix(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(mosquitto.shutil, "which", lambda *a, **k: None)
    settings = Settings(data_dir=tmp_path, mqtt_url=None)  # type: ignore[call-arg]
    with pytest.raises(HostStartError) as err, broker_for(settings):
        pass
    assert "apt-get install mosquitto" in str(err.value) and "EVALPAD_MQTT_URL" in str(err.value)

"""`evalpad pad release | releases`, `evalpad fleet update | status | stop` (Chinese messages),
and the pads' /ota/... files with HTTP Range."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from host.cli import app as cli
from host.releases import web
from host.settings import Settings


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EVALPAD_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("EVALPAD_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def evalpad(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(cli, list(args))
    return r.exit_code, r.output


def test_release_then_rollout_from_the_command_line(env: Path) -> None:
    code, out = evalpad("pad", "release", "--version", "1.1.0", "--note", "更稳的网络重连")
    assert code == 0, out
    assert "版本 1.1.0" in out and "evalpad fleet update --release 1.1.0" in out
    data = (env / "releases" / "1.1.0" / "manifest.json").read_bytes()
    assert hashlib.sha256(data).hexdigest() in out
    code, out = evalpad("pad", "release", "--version", "1.1.0")
    assert code == 1 and "错误：版本 1.1.0 已保存过" in out
    code, out = evalpad("pad", "release", "--version", "../x")
    assert code == 2 and "不合规定" in out
    code, out = evalpad("pad", "releases")
    assert code == 0 and "1.1.0" in out and "更稳的网络重连" in out
    assert evalpad("device", "add", "pad-01")[0] == 0
    assert evalpad("device", "add", "pad-02")[0] == 0
    code, out = evalpad("fleet", "update", "--release", "1.1.0", "--canary", "1")
    assert code == 0 and "先更新 1 台" in out, out
    code, out = evalpad("fleet", "update", "--release", "1.1.0")
    assert code == 1 and "还在进行" in out and "办法" in out
    code, out = evalpad("fleet", "status")
    assert code == 0 and "pad-01" in out and "等待" in out and "金丝雀" in out
    code, out = evalpad("fleet", "stop", "--reason", "换一个版本")
    assert code == 0 and "已停止" in out
    code, out = evalpad("fleet", "status")
    assert "已自动停止" in out and "stopped by" in out and "已跳过" in out


def test_release_files_are_served_with_ranges(tmp_path: Path) -> None:
    rel = tmp_path / "releases" / "1.1.0"
    (rel / "firmware" / "pad").mkdir(parents=True)
    blob = bytes(range(256)) * 10
    (rel / "firmware" / "pad" / "app.mpy").write_bytes(blob)
    (rel / "manifest.json").write_text(json.dumps({"v": 1}))
    app = FastAPI()
    app.state.settings = Settings(data_dir=tmp_path)  # type: ignore[call-arg]
    app.include_router(web.router)
    client = TestClient(app)
    r = client.get("/ota/1.1.0/firmware/pad/app.mpy", headers={"Range": "bytes=1024-2047"})
    assert r.status_code == 206 and r.content == blob[1024:2048]
    assert r.headers["content-range"] == "bytes 1024-2047/2560"
    r = client.get("/ota/1.1.0/firmware/pad/app.mpy", headers={"Range": "bytes=2048-4095"})
    assert r.status_code == 206 and r.content == blob[2048:]
    r = client.get("/ota/1.1.0/firmware/pad/app.mpy", headers={"Range": "bytes=2560-3583"})
    assert r.status_code == 416 and r.headers["content-range"] == "bytes */2560"
    assert client.get("/ota/1.1.0/manifest.json").json() == {"v": 1}
    assert client.get("/ota/1.1.0/firmware/pad/app.mpy", headers={"Range": "lines=1"}).status_code == 400
    for bad in ("/ota/1.1.0/../../evalpad.db", "/ota/1.1.0/firmware/x.py", "/ota/9.9/manifest.json",
                "/ota/..%2f/manifest.json"):
        assert client.get(bad).status_code == 404, bad

"""`evalpad window|device|user|token|backup` through Typer's CliRunner, EVALPAD_DATA_DIR in tmp."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from host.app import create_app
from host.broker.mosquitto import read_passwords
from host.cli import app
from host.clock import SystemClock
from host.db import make_engine
from host.settings import Settings
from tests.api.conftest import MqttClient

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)  # no stray .env file is read
    for var in ("EVALPAD_DATABASE_URL", "EVALPAD_MQTT_URL"):
        monkeypatch.delenv(var, raising=False)
    return {"EVALPAD_DATA_DIR": str(tmp_path)}


def run(env: dict[str, str], *args: str, input: str | None = None, code: int = 0) -> str:
    result = runner.invoke(app, list(args), env=env, input=input)
    assert result.exit_code == code, (args, result.output, result.exception)
    return result.output


def test_window_and_device_commands(db_url: str, env: dict[str, str]) -> None:
    env = {**env, "EVALPAD_DATABASE_URL": db_url}
    assert "已添加窗口 A07" in run(
        env, "window", "add", "A07", "--name", "出入境", "--category", "police_exit"
    )
    run(env, "window", "add", "A08", "--name", "综合")
    out = run(env, "device", "add", "qp-0107", "--window", "A07", "--reason", "new pad")
    password = re.search(r"密码：(\S+)", out).group(1)  # type: ignore[union-attr]
    assert "只显示这一次" in out
    hashed = read_passwords(Path(env["EVALPAD_DATA_DIR"]) / "broker" / "passwd")["qp-0107"]
    assert hashed.startswith("$7$") and password not in hashed
    listed = run(env, "device", "list")
    assert re.search(r"qp-0107\s+A07\s+自 ", listed) and password not in listed
    assert re.search(r"A07\s+出入境\s+其他类别（police_exit）\s+qp-0107", run(env, "window", "list"))
    run(env, "device", "assign", "qp-0107", "--window", "A08", "-r", "swap")
    assert re.search(r"qp-0107\s+A08", run(env, "device", "list"))
    out = run(env, "device", "assign", "qp-0107", "--window", "A08", code=1)
    assert "已在窗口 A08 上" in out and "办法：无需再操作" in out
    out = run(env, "device", "add", "Bad_Id", code=1)
    assert "不合规定" in out and "办法：" in out
    run(env, "device", "retire", "qp-0107", "-r", "broken")
    assert "qp-0107" not in run(env, "device", "list")
    assert "已停用" in run(env, "device", "list", "--all")
    assert "qp-0107" not in read_passwords(Path(env["EVALPAD_DATA_DIR"]) / "broker" / "passwd")
    run(env, "window", "retire", "A08")
    assert "A08" not in run(env, "window", "list")


@pytest.mark.broker
def test_device_add_credentials_work_on_the_real_broker_until_retired(env: dict[str, str], broker) -> None:  # type: ignore[no-untyped-def]
    # The broker fixture runs from tmp_path/broker = EVALPAD_DATA_DIR/broker: the CLI edits its files
    # and signals it (SIGHUP) through its pid file, as on a production server.
    run(env, "window", "add", "A01", "--name", "综合")
    out = run(env, "device", "add", "pad-7", "--window", "A01")
    password = re.search(r"密码：(\S+)", out).group(1)  # type: ignore[union-attr]
    pad = MqttClient(broker.port, "pad-7", password)
    assert pad.wait_connected()
    pad.close()
    run(env, "device", "retire", "pad-7")
    again = MqttClient(broker.port, "pad-7", password)
    assert not again.wait_connected()
    again.close()


@pytest.mark.broker
def test_host_account_per_instance_on_the_real_broker(env: dict[str, str], broker) -> None:  # type: ignore[no-untyped-def]
    """`evalpad broker host-account host-2`: its own account (user = client id, Delivery 7),
    reading pads' events; the password goes to an owner-only file or is printed once."""
    env_file = Path(env["EVALPAD_DATA_DIR"]) / "host-2.env"
    out = run(env, "broker", "host-account", "host-2", "--env-file", str(env_file))
    assert str(env_file) in out and "mqtt://" not in out          # the secret is not printed
    assert env_file.stat().st_mode & 0o777 == 0o600
    lines = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
    assert lines["EVALPAD_INSTANCE"] == "host-2"
    url = lines["EVALPAD_MQTT_URL"]
    password = re.match(r"mqtt://host-2:(\S+)@127\.0\.0\.1:1883$", url).group(1)  # type: ignore[union-attr]
    assert Settings(instance="host-2", mqtt_url=url).instance == "host-2"  # type: ignore[call-arg]
    host2 = MqttClient(broker.port, "host-2", password, client_id="host-2")
    assert host2.wait_connected()
    host2.subscribe("$share/evalpad/evalpad/v1/+/event")
    pad = MqttClient(broker.port, "pad-7", broker.add_pad("pad-7"))
    assert pad.wait_connected()
    pad.publish("evalpad/v1/pad-7/event", b"hello")
    assert host2.get() == ("evalpad/v1/pad-7/event", b"hello")
    for c in (pad, host2):
        c.close()
    printed = run(env, "broker", "host-account", "host-3")
    assert re.search(r"^EVALPAD_MQTT_URL=mqtt://host-3:\S+@127\.0\.0\.1:1883$", printed, re.M)
    assert "EVALPAD_INSTANCE=host-3" in printed
    accounts = set(read_passwords(Path(env["EVALPAD_DATA_DIR"]) / "broker" / "passwd"))
    assert {"host-1", "host-2", "host-3"} <= accounts
    assert "host-x_1" in run(env, "broker", "host-account", "host-x_1", code=1)
    out = run(env, "device", "add", "host-9", code=1)               # a pad may not take a host's name
    assert "host-" in out and "办法：" in out
    assert "host-9" not in read_passwords(Path(env["EVALPAD_DATA_DIR"]) / "broker" / "passwd")


def test_an_instance_must_log_in_with_its_own_account() -> None:
    """Two instances on one account would share one client id and knock each other off."""
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="自己的消息服务账号"):
        Settings(instance="host-2", mqtt_url="mqtt://host-1:pw@127.0.0.1:1883")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="EVALPAD_INSTANCE"):
        Settings(instance="evalpad-host")  # type: ignore[call-arg]


def test_users_tokens_and_the_first_admin(env: dict[str, str]) -> None:
    assert run(env, "user", "list").strip() == ""  # no default account
    out = run(env, "user", "add", "root", "--role", "admin", input="too short\ntoo short\n", code=1)
    assert "至少要 10 位" in out
    run(env, "user", "add", "root", "--role", "admin", input="a long pass phrase\na long pass phrase\n")
    out = run(env, "user", "add", "xy", "--role", "boss", code=1)
    assert "没有角色 'boss'" in out and "admin（系统管理员）、management（管理科）" in out
    run(env, "window", "add", "A01", "--name", "综合")
    run(env, "user", "add", "queue-a01", "--role", "staff", "--window", "A01", "--token-only")
    listed = run(env, "user", "list")
    assert re.search(r"queue-a01\s+窗口工作人员\s+A01", listed) and re.search(r"root\s+系统管理员", listed)
    out = run(env, "token", "create", "--user", "queue-a01", "--name", "queue system", "--days", "365",
              "--scope", "full")
    token = out.strip().splitlines()[-1]
    assert token.startswith("ep_")
    # The token works on the API with the user's role and window.
    settings = Settings(data_dir=Path(env["EVALPAD_DATA_DIR"]))  # type: ignore[call-arg]
    engine = make_engine(settings.db_url)
    try:
        with TestClient(create_app(settings, engine, SystemClock(), lambda *a, **k: None)) as client:
            me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
            assert (me["name"], me["role"], me["window"]) == ("queue-a01", "staff", "A01")
            r = client.post("/api/v1/auth/login", json={"name": "root", "password": "a long pass phrase"})
            assert r.status_code == 200
    finally:
        engine.dispose()
    listed = run(env, "token", "list", "--user", "queue-a01")
    assert re.search(r"^(\d+)\s+queue system\s+full .* 创建 .* 到期", listed, re.M) and token not in listed
    tid = listed.split()[0]
    assert f"已吊销用户 queue-a01 的令牌 {tid}" in run(env, "token", "revoke", tid, "--user", "queue-a01")
    assert "已吊销" in run(env, "token", "list", "--user", "queue-a01")
    assert "已停用用户 root" in run(env, "user", "disable", "root", "-r", "test")
    assert re.search(r"root\s+系统管理员\s+-\s+已停用", run(env, "user", "list"))
    db = sqlite3.connect(settings.db_url.split("///", 1)[1])
    assert token not in str(db.execute("SELECT * FROM apitoken").fetchall())
    db.close()


def test_backup_sqlite_is_a_consistent_copy(env: dict[str, str], tmp_path: Path) -> None:
    run(env, "window", "add", "A01", "--name", "综合")
    run(env, "window", "add", "A02", "--name", "综合")
    out = run(env, "backup")
    path = Path(re.search(r"已写入备份：(.+?)（", out).group(1))  # type: ignore[union-attr]
    assert path.parent == tmp_path / "backups" and re.fullmatch(r"evalpad-\d{8}T\d{9}Z\.db", path.name)
    assert "完整性检查 ok" in out
    copy = sqlite3.connect(path)
    assert copy.execute("SELECT number FROM window ORDER BY number").fetchall() == [("A01",), ("A02",)]
    copy.close()
    other = tmp_path / "elsewhere"
    out = run(env, "backup", "--to", str(other))
    assert len(list(other.glob("evalpad-*.db"))) == 1


@pytest.mark.postgres
def test_backup_postgres_refuses_and_prints_pg_dump(env: dict[str, str], pg_url: str) -> None:
    out = run({**env, "EVALPAD_DATABASE_URL": pg_url}, "backup", code=2)
    dbname = pg_url.rsplit("/", 1)[1]
    assert "PostgreSQL" in out and "pg_dump --format=custom --file=" in out
    assert f"postgresql://postgres@127.0.0.1:5432/{dbname}'" in out and "pg_restore" in out


def test_device_added_late_with_since_and_replay(env: dict[str, str]) -> None:
    from datetime import datetime

    from sqlmodel import Session

    from host.clock import RULES_TZ, SystemClock
    from host.ingest.batch import BatchProcessor
    from host.ingest.inbox import Received
    from host.ingest.liveness import Liveness
    from protocol import messages

    run(env, "window", "add", "A01", "--name", "综合")
    now = SystemClock().now_ms()
    settings = Settings(data_dir=Path(env["EVALPAD_DATA_DIR"]))  # type: ignore[call-arg]
    engine = make_engine(settings.db_url)
    with Session(engine) as s:  # two events arrive before anyone registered the pad
        items = [
            Received(
                topic="evalpad/v1/pad-late/event",
                payload=messages.encode(
                    messages.event(
                        "pad-late",
                        seq,
                        1,
                        1000,
                        now - 600_000 + seq,
                        "eval",
                        rating="satisfied",
                        prompted=True,
                    )
                ),
                received_ms=now - 500_000,
                mid=seq,
                qos=1,
                retained=False,
                generation=0,
            )
            for seq in (1, 2)
        ]
        BatchProcessor(Liveness(3.0, "test")).process(s, items)
        s.commit()
    engine.dispose()
    out = run(env, "device", "add", "pad-late", "--window", "A01", "--since", "yesterday-ish", code=1)
    assert "不是日期和时间" in out and "2026-11-25 08:00" in out
    since = datetime.fromtimestamp((now - 3_600_000) / 1000, RULES_TZ).strftime("%Y-%m-%d %H:%M:%S")
    run(env, "device", "add", "pad-late", "--window", "A01", "--since", since)
    out = run(env, "device", "replay", "pad-late")
    assert "评价器 pad-late 的暂存消息已入库 2 条，仍暂存 0 条。" in out
    assert "暂存消息已入库 0 条" in run(env, "device", "replay", "pad-late")


@pytest.mark.parametrize("name,value", [("EVALPAD_WEB_KEY", "not-hex"), ("EVALPAD_WEB_KEY", "abcd"),
                                        ("EVALPAD_LOG_LEVEL", "LOUD")])
def test_a_bad_setting_stops_the_host_at_start_naming_it(env: dict[str, str], name: str, value: str) -> None:
    """Every EVALPAD_* setting is checked when the host starts (host.settings), with the variable's
    name and what to write: a site key that is not hex (was a bare ValueError once the pages were
    mounted) or too short, a log level nobody knows."""
    out = run({**env, name: value}, "db", "upgrade", code=2)
    assert "错误：设置有误" in out and name in out

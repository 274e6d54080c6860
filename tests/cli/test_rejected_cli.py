"""`evalpad rejected list | replay` (Chinese for the IT section), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from host.clock import SystemClock
from host.db import make_engine, upgrade
from host.ingest import store
from host.models import AuditEntry, Event
from protocol import messages
from tests.cli.test_admin_cli import run


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EVALPAD_MQTT_URL", raising=False)
    return {"EVALPAD_DATA_DIR": str(tmp_path), "EVALPAD_DATABASE_URL": db_url}


def test_list_then_replay_a_rejected_event_once_with_a_reason(env: dict[str, str], db_url: str) -> None:
    run(env, "window", "add", "A01", "--name", "综合")
    run(env, "device", "add", "qp-0701", "--window", "A01", "--since", "2020-01-01 08:00")
    now = SystemClock().now_ms()
    event = messages.encode(messages.event("qp-0701", 12, 1, 500, now - 1000, "eval", rating="satisfied",
                                           prompted=True))
    upgrade(db_url)
    engine = make_engine(db_url)
    with Session(engine) as s:   # what the writer keeps when the host fails on one event
        store.keep_rejected(s, [
            store.rejection("evalpad/v1/qp-0701/event", event, now - 900, "host_error",
                            "the host failed on this message: KeyError('x')", "qp-0701", 12),
            store.rejection("evalpad/v1/qp-0701/event", b'{"v":1,\x00}', now - 800, "not_json",
                            "payload is not JSON", "qp-0701")])
        s.commit()
    listed = run(env, "rejected", "list")
    assert "主机处理出错（host_error）" in listed and "序号 12" in listed and "待处理" in listed
    assert "不是 JSON（not_json）" in listed and "序号不可读（未确认）" in listed and "\\x00" in listed
    out = run(env, "rejected", "replay", "1", code=1)
    assert "必须写明原因" in out and "办法：" in out
    out = run(env, "rejected", "replay", "1", "2", "--reason", "主机已升级到 1.0.1")
    assert "已重放 1 条：新入库 1" in out and "仍被拒收：不是 JSON 1 条" in out
    assert "已重放 0 条" in run(env, "rejected", "replay", "1", "--reason", "再试一次")
    assert "没有符合条件的消息" not in run(env, "rejected", "list", "--all")
    with Session(engine) as s:
        assert [e.seq for e in s.exec(select(Event)).all()] == [12]
        audits = s.exec(select(AuditEntry).where(AuditEntry.action == "rejected.replay")).all()
        assert [(a.reason, a.detail["replayed"]) for a in audits] == [("主机已升级到 1.0.1", 1),
                                                                      ("再试一次", 0)]
        assert all(a.actor.startswith("cli:") for a in audits)
    engine.dispose()

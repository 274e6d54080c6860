"""`evalpad counts check | rebuild` (host.counts) on SQLite and PostgreSQL: check says where the
daily counts and the events disagree and exits 1; rebuild recounts them from the events, audited
(R12), and refuses without a reason."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, select
from typer.testing import CliRunner

from host.cli import app
from host.clock import RULES_TZ, to_ms
from host.db import make_engine
from host.models import AuditEntry, Event, Window

runner = CliRunner()
AT = to_ms(datetime(2026, 11, 18, 10, 0, tzinfo=RULES_TZ))          # a Wednesday morning, Shanghai


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)
    for var in ("EVALPAD_DATABASE_URL", "EVALPAD_MQTT_URL"):
        monkeypatch.delenv(var, raising=False)
    return {"EVALPAD_DATA_DIR": str(tmp_path), "EVALPAD_DATABASE_URL": db_url}


def run(env: dict[str, str], *args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == code, (args, result.output, result.exception)
    return result.output


def test_check_then_rebuild_after_the_counts_were_lost(env: dict[str, str], db_url: str) -> None:
    run(env, "window", "add", "A07", "--name", "出入境")
    run(env, "device", "add", "qp-0107", "--window", "A07", "--reason", "new pad")
    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            wid = s.exec(select(Window.id).where(Window.number == "A07")).one()
            for seq, rating in enumerate(("satisfied", "satisfied", "unsatisfied"), 1):
                s.add(Event(device_id="qp-0107", seq=seq, boot=1, up_ms=seq, type="eval", at_ms=AT + seq,
                            received_ms=AT + seq, window_id=wid, rating=rating, body={}))
            s.commit()
        assert "计数与事件一致：1 行" in run(env, "counts", "check")
        with Session(engine) as s:
            s.execute(text("DELETE FROM dailycount"))
            s.commit()
        out = run(env, "counts", "check", code=1)
        assert f"窗口 {wid}  2026-11-18  计数 0（满意 0）  事件重算 3（满意 2）" in out
        assert "1 行与事件不一致" in out and "evalpad counts rebuild" in out
        out = run(env, "counts", "rebuild", code=1)
        assert "错误：重新统计必须写明原因（R12）" in out
        out = run(env, "counts", "rebuild", "--reason", "从备份恢复后核对", "--by", "信息技术科")
        assert "已重新计数：1 行（窗口×日），其中 1 行此前不一致。" in out
        assert "计数与事件一致" in run(env, "counts", "check")
        with Session(engine) as s:
            entry = s.exec(select(AuditEntry).where(AuditEntry.action == "counts.rebuild")).one()
            assert (entry.actor, entry.reason) == ("信息技术科", "从备份恢复后核对")
            assert entry.detail["corrected"] == 1
    finally:
        engine.dispose()

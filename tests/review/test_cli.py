"""`evalpad volume|violations|faults|waive` end to end on a SQLite file (the same service
functions as the API; SQLite only because nothing here depends on the engine)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select
from typer.testing import CliRunner

from host.cli import app
from host.db import make_engine
from tests.review.conftest import sh
from tests.review.facts import Hall


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'evalpad.db'}"
    monkeypatch.setenv("EVALPAD_DATABASE_URL", url)
    monkeypatch.setenv("EVALPAD_DATA_DIR", str(tmp_path))
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> str:
        r = runner.invoke(app, list(args))
        assert r.exit_code == code, r.output
        return r.output

    invoke.url = url  # type: ignore[attr-defined]
    invoke("window", "add", "A07", "--name", "社保")
    return invoke


def test_cli_volume_import_all_or_nothing(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "oct.csv"
    bad.write_text("窗口号,月份,业务受理量\nA07,2026-10,80\nA07,2026-10,x\n", encoding="utf-8")
    out = run("volume", "import", str(bad), code=1)
    assert "未导入任何数据" in out and "第3行“业务受理量”" in out
    assert "（来源：无）" in run("volume", "show", "--window", "A07", "--month", "2026-10")
    out = run("volume", "import", str(bad), "--preview", code=1)
    assert "预览：1 行无误，1 处错误；未保存任何数据" in out
    bad.write_text("窗口号,月份,业务受理量\nA07,2026-10,80\n", encoding="utf-8")
    assert "导入 1 行" in run("volume", "import", str(bad))
    assert "V = 80（来源：业务系统导入）" in run("volume", "show", "--window", "A07", "--month", "2026-10")


def test_cli_violations_faults_and_waivers(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(run.url)
    with Session(engine) as s:
        hall = Hall(s)
        w = hall.window("A08", device="qp-0108")
        hall.event("qp-0108", w, "prompt", sh(2026, 10, 12, 9, 0), svc="A1", source="host")
        hall.event("qp-0108", w, "prompt_end", sh(2026, 10, 12, 9, 0, 5), svc="A1", reason="cancelled")
    engine.dispose()
    assert "新增线索 1 条" in run("violations", "detect", "--month", "2026-10")
    out = run("violations", "list", "--month", "2026-10", "--status", "open")
    assert "拒绝评价" in out and "待审核" in out and "共 1 条线索" in out
    cid = out.split()[0].lstrip("#")
    run("violations", "confirm", cid, code=2)  # --reason is required
    assert "：已确认" in run("violations", "confirm", cid, "--reason", "投诉单 17", "--by", "王科长")
    assert "已是“已确认”" in run("violations", "confirm", cid, "--reason", "again", code=1)
    xlsx = tmp_path / "v.xlsx"
    run("violations", "export", "--month", "2026-10", "--out", str(xlsx))
    ws = load_workbook(io.BytesIO(xlsx.read_bytes())).active
    assert (ws["C3"].value, ws["J3"].value, ws["L3"].value) == ("拒绝评议", "王科长", "投诉单 17")

    out = run("faults", "report", "--window", "A08", "--detail", "屏幕不亮", "--by", "staff-li")
    fid = out.split()[1].lstrip("#")
    assert "还是待处理" in run("faults", "resolve", fid, "--verdict", "pad_fault", "--notes", "x", code=1)
    run("faults", "ack", fid, "--assignee", "chen")
    out = run("faults", "resolve", fid, "--verdict", "pad_fault", "--notes", "换屏")
    assert "已处理完毕：评价器故障" in out
    assert "已修复" in run("faults", "list", "--window", "A08")

    key = f"{w}:2026-10:shortfall:-"
    run("waive", "add", "--window", "A08", "--month", "2026-10", "--key", key, "--reason", "屏幕故障两周")
    assert key in run("waive", "list", "--month", "2026-10")
    assert "必须写明理由" in run(
        "waive", "add", "--window", "A08", "--month", "2026-10", "--key", key, "--reason", " ", code=1
    )


def test_r6_cli_violations_report_patrol_and_complaint_records(run) -> None:  # type: ignore[no-untyped-def]
    """`evalpad violations report`: the same service as the API and the board's patrol notes;
    the moment takes seconds and ISO times like the API's at_ms."""
    from host.violations import list_candidates

    out = run("violations", "report", "--window", "A07", "--kind", "refused", "--source", "patrol",
              "--detail", "巡查见工作人员拒绝评议", "--at", "2026-10-12 09:15:30", "--by", "巡查员孙")
    assert "待审核，请确认或驳回" in out
    out = run("violations", "report", "--window", "A07", "--kind", "no_prompt", "--source", "complaint",
              "--detail", "群众投诉未提示评价", "--at", "2026-10-12T01:20:05Z")
    engine = make_engine(run.url)
    with Session(engine) as s:
        rows = list_candidates(s, month="2026-10")
    engine.dispose()
    assert [(c.kind, c.source, c.at_ms, c.status) for c in rows] == [
        ("refused", "patrol", sh(2026, 10, 12, 9, 15, 30), "open"),
        ("no_prompt", "complaint", sh(2026, 10, 12, 9, 20, 5), "open")]
    assert rows[0].reported_by == "巡查员孙"
    # A voiding kind must name the evaluation; a bad time names the forms that work; nothing stored.
    out = run("violations", "report", "--window", "A07", "--kind", "self_eval", "--source", "patrol",
              "--detail", "x", code=1)
    assert "必须指明窗口 1 的一条评价（没有填写事件编号）" in out
    out = run("violations", "report", "--window", "A07", "--kind", "refused", "--source", "patrol",
              "--detail", "x", "--at", "12/10 9am", code=1)
    assert "--at" in out and "2026-10-19 09:00:30" in out
    assert "共 2 条线索" in run("violations", "list", "--month", "2026-10")


def test_r7_cli_fault_times_take_seconds_and_iso(run) -> None:  # type: ignore[no-untyped-def]
    """`faults report --since` and `faults resolve --cleared` take seconds and ISO times (the API's
    precision), through the one shared parser."""
    from host.faults import get_fault

    engine = make_engine(run.url)
    with Session(engine) as s:
        Hall(s).window("A08", device="qp-0108")
    out = run("faults", "report", "--window", "A08", "--detail", "满意键失灵",
              "--since", "2026-10-12 09:00:15")
    fid = out.split()[1].lstrip("#")
    run("faults", "ack", fid)
    resolve = ("faults", "resolve", fid, "--verdict", "pad_fault", "--notes", "换键", "--cleared")
    out = run(*resolve, "10 点", code=1)
    assert "--cleared" in out and "不是日期和时间" in out
    run(*resolve, "2026-10-12T02:30:45+00:00")
    with Session(engine) as s:
        f = get_fault(s, int(fid))
    engine.dispose()
    assert (f.started_ms, f.cleared_ms) == (sh(2026, 10, 12, 9, 0, 15), sh(2026, 10, 12, 10, 30, 45))


def test_parse_time_forms() -> None:
    from host.clock import parse_time

    assert parse_time("2026-10-12 09:00") == sh(2026, 10, 12, 9, 0)
    assert parse_time("2026-10-12 09:00:07") == sh(2026, 10, 12, 9, 0, 7)
    assert parse_time("2026-10-12T01:00:07Z") == sh(2026, 10, 12, 9, 0, 7)
    assert parse_time("2026-10-12T09:00:07.250+08:00") == sh(2026, 10, 12, 9, 0, 7) + 250
    assert parse_time(str(sh(2026, 10, 12, 9))) == sh(2026, 10, 12, 9)
    with pytest.raises(ValueError, match="不是日期和时间"):
        parse_time("yesterday")


def test_r10_cli_device_correct_records_an_exchange_at_its_real_time(run) -> None:  # type: ignore[no-untyped-def]
    """`evalpad device correct w06=W07 w07=W06 --at ... --reason ...`: a preview stores nothing; then
    the events follow the corrected history and `device corrections` lists it (R10, R12)."""
    from host.models.events import Event

    swap = sh(2026, 10, 20, 11, 38)
    engine = make_engine(run.url)
    with Session(engine) as s:
        hall = Hall(s)
        w06 = hall.window("W06", device="w06", since_ms=sh(2026, 10, 1))
        w07 = hall.window("W07", device="w07", since_ms=sh(2026, 10, 1))
        hall.event("w06", w06, "eval", swap + 60_000, rating="satisfied")
        hall.event("w07", w07, "eval", swap - 60_000, rating="satisfied")
    args = ("device", "correct", "w06=W07", "w07=W06", "--at", "2026-10-20 11:38:00",
            "--reason", "对调未登记")
    out = run(*args, "--preview")
    assert "预览（未保存）" in out and "1 条事件从窗口 W06 改归窗口 W07" in out
    with Session(engine) as s:
        assert {e.device_id: e.window_id for e in s.exec(select(Event)).all()} == {"w06": w06, "w07": w07}
    out = run(*args)
    assert "更正 #1：w06=W07, w07=W06，时间 2026-10-20 11:38:00" in out
    assert "1 条事件从窗口 W06 改归窗口 W07" in out and "暂存事件入库" in out
    with Session(engine) as s:
        assert {e.device_id: e.window_id for e in s.exec(select(Event)).all()} == {"w06": w07, "w07": w07}
    engine.dispose()
    assert "w06=W07, w07=W06" in run("device", "corrections") and "对调未登记" in run("device", "corrections")
    out = run("device", "correct", "w06=W06", "--at", "2999-01-01 00:00", "--reason", "x", code=1)
    assert "晚于现在" in out and "办法：" in out
    bad_move = run("device", "correct", "w06:W07", "--at", "2026-10-20 11:38", "--reason", "x", code=1)
    assert "评价器=窗口" in bad_move
    run("device", "correct", "w06=W07", "--at", "2026-10-20 11:38", code=2)          # --reason is required

"""`evalpad report | month | calendar` on a real SQLite file (the CLI layer; rules are tested elsewhere)."""

from __future__ import annotations

import json
from datetime import date, time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from host.cli import app
from host.cli import common as cli_common
from tests.scoring.world import World, always_on_window, sh


@pytest.fixture
def cli_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("EVALPAD_DATABASE_URL", url)
    monkeypatch.setenv("EVALPAD_DATA_DIR", str(tmp_path))
    world = World(url, sh(date(2026, 12, 2), time(9)))
    monkeypatch.setattr(cli_common, "CLOCK", world.clock)
    return world


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_cli_report_json_close_and_reopen(cli_world: World) -> None:
    wid = always_on_window(cli_world)
    cli_world.evals("pad-A01", wid, sh(date(2026, 11, 18), time(9)), satisfied=36, unsatisfied=4)
    cli_world.volume("2026-11", A01=80)
    code, out, _ = run("report", "month", "2026-11", "--format", "json")
    assert code == 0
    (w,) = json.loads(out)["windows"]
    assert (w["score"]["final"], w["score"]["final_shown"], w["score"]["standard"]) == ("7/2", "3.50", 48)
    code, out, _ = run("report", "month", "2026-11")
    assert code == 0 and "3.50" in out
    code, _, err = run("month", "reopen", "2026-11", "--by", "zhao", "--reason", "x")
    assert code == 1 and "没有关账" in err
    assert run("month", "close", "2026-11", "--by", "zhao", "--reason", "fed back")[0] == 0
    code, out, _ = run("month", "status", "2026-11")
    assert code == 0 and "关账  zhao：fed back" in out
    code, out, _ = run("report", "month", "2026-11", "--format", "json")
    assert json.loads(out)["status"] == "closed"


def test_cli_csv_and_xlsx_through_the_exports(cli_world: World, tmp_path: Path) -> None:
    wid = always_on_window(cli_world)
    cli_world.evals("pad-A01", wid, sh(date(2026, 11, 18), time(9)), satisfied=3)
    code, out, _ = run("report", "month", "2026-11", "--format", "csv")
    assert code == 0 and "A01" in out
    target = tmp_path / "r.xlsx"
    assert run("report", "month", "2026-11", "--format", "xlsx", "--out", str(target))[0] == 0
    assert target.read_bytes()[:2] == b"PK"


def test_cli_missing_calendar_then_entered(cli_world: World) -> None:
    cli_world.clock.set(sh(date(2027, 2, 2)))
    always_on_window(cli_world, start=sh(date(2027, 1, 1)), end=sh(date(2027, 2, 1)))
    code, _, err = run("report", "month", "2027-01")
    assert code == 1 and "2027-01-01" in err and "evalpad calendar set" in err
    assert run("calendar", "set", "2027-01-01", "off", "--by", "zhao", "--reason", "notice")[0] == 0
    assert run("calendar", "year", "2027", "--by", "zhao", "--reason", "notice entered")[0] == 0
    code, out, _ = run("report", "month", "2027-01", "--format", "json")
    assert code == 0 and json.loads(out)["windows"][0]["closures"] == []
    code, out, _ = run("calendar", "show", "2027")
    assert code == 0 and "2027-01-01 星期五 节假日" in out and "是假定" in out


def test_cli_changes_need_a_reason(cli_world: World) -> None:
    code, _, err = run("calendar", "setting", "grace_ms", "120000", "--by", "zhao", "--reason", " ")
    assert code == 1 and "R12" in err
    code, _, err = run("calendar", "setting", "grace_ms", "3 min", "--by", "zhao", "--reason", "x")
    assert code == 1 and "毫秒数" in err

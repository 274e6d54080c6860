"""The platform export (issue 16): every evaluation of a day or month with case number, item,
channel, level, time, window, department and staff; JSON and CSV; through the service, the CLI
and the API (SQLite and PostgreSQL for the service; the CLI on SQLite)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from host.cli import app
from host.cli import common as cli_common
from host.errors import Invalid
from host.exports import platform
from host.models import User, Window
from tests.goodbad.facts import press
from tests.scoring.world import World, always_on_window, sh

OCT8 = date(2026, 10, 8)


def _hall(world: World) -> int:
    wid = always_on_window(world, "A01", start=sh(date(2026, 9, 1)))
    with world.session() as s:
        w = s.get(Window, wid)
        assert w is not None
        w.department, w.name = "区市场监管局", "企业登记"
        s.add(w)
        s.add(User(name="li.na", role="staff", window_id=wid, created_ms=0))
        s.commit()
    press(
        world, "pad-A01", wid, sh(OCT8) - 1, level=5, case_no="SH-1", item="设立登记"
    )  # 7 Oct, 23:59:59.999
    press(world, "pad-A01", wid, sh(OCT8), level=2, case_no="SH-2", item="变更登记")  # 8 Oct, 00:00
    press(world, "pad-A01", wid, sh(OCT8, time(9, 30)), rating="satisfied")  # a two-level pad
    press(world, "pad-A01", wid, sh(date(2026, 10, 9)), level=4)  # 9 Oct, 00:00
    return wid


def test_a_day_is_the_shanghai_day_with_every_field(world: World) -> None:
    _hall(world)
    with world.session() as s:
        data, name = platform.export(s, "2026-10-08", "json", world.clock.now_ms())
    doc = json.loads(data)
    assert (name, doc["format"], doc["version"], doc["count"]) == (
        "evaluations-2026-10-08.json",
        platform.FORMAT,
        1,
        2,
    )
    first, second = doc["evaluations"]
    assert set(first) == set(platform.FIELDS) == set(doc["fields"])
    assert (first["case_no"], first["item"], first["channel_name"], first["level"], first["bad_review"]) == (
        "SH-2",
        "变更登记",
        "窗口评价器",
        2,
        True,
    )
    assert (first["time"], first["window"], first["department"], first["staff"]) == (
        "2026-10-08T00:00:00+08:00",
        "A01",
        "区市场监管局",
        ["li.na"],
    )
    assert (second["level"], second["rating"], second["satisfied"], second["case_no"]) == (
        None,
        "satisfied",
        True,
        None,
    )


def test_a_month_and_csv(world: World) -> None:
    _hall(world)
    with world.session() as s:
        data, _ = platform.export(s, "2026-10", "csv", world.clock.now_ms())
        with pytest.raises(Invalid):
            platform.export(s, "2026-10-8", "csv", world.clock.now_ms())
        with pytest.raises(Invalid):
            platform.export(s, "2026-10", "xml", world.clock.now_ms())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["case_no"] for r in rows] == ["SH-1", "SH-2", "", ""]
    assert rows[1]["staff"] == "li.na" and rows[1]["bad_review"] == "true" and rows[2]["level"] == ""


def test_cli_writes_the_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("EVALPAD_DATABASE_URL", url)
    monkeypatch.setenv("EVALPAD_DATA_DIR", str(tmp_path))
    world = World(url, sh(date(2026, 12, 2), time(9)))
    monkeypatch.setattr(cli_common, "CLOCK", world.clock)
    _hall(world)
    out = tmp_path / "oct.json"
    r = CliRunner().invoke(app, ["export", "platform", "2026-10", "--out", str(out)])
    assert r.exit_code == 0, r.stderr
    assert json.loads(out.read_bytes())["count"] == 4
    r = CliRunner().invoke(app, ["export", "platform", "10/2026"])
    assert r.exit_code == 1 and "2026-10-08" in r.stderr

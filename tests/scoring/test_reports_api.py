"""/api/v1/reports through the real app (R2-R5, R8-R11): roles, staff scope, close/reopen, errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time
from pathlib import Path

import pytest
from sqlmodel import select

from host.models import Assignment, Window
from tests.api.conftest import Api, RecordingPublish, build_api
from tests.scoring.world import DAY_MS, NOV_END, NOV_START, World, sh


@pytest.fixture
def api(db_url: str, tmp_path: Path) -> Iterator[Api]:
    yield from build_api(db_url, tmp_path, RecordingPublish())


def facts(api: Api) -> World:
    """Evaluations and power for the harness's windows A01 and A02 (pads pad-a01, pad-a02) in November."""
    world = World(None, 0, engine=api.engine, clock=api.clock)
    with api.session() as s:
        ids = {w.number: w.id for w in s.exec(select(Window)).all()}
        for a in s.exec(select(Assignment)).all():
            a.start_ms = NOV_START - DAY_MS         # the harness assigned them "now"; move to before November
            s.add(a)
        s.commit()
    for number in ("A01", "A02"):
        world.power(f"pad-{number.lower()}", "on", NOV_START - DAY_MS, NOV_END + DAY_MS)
    world.evals("pad-a01", ids["A01"], sh(date(2026, 11, 18), time(9)), satisfied=3, unsatisfied=1)
    world.evals("pad-a02", ids["A02"], sh(date(2026, 11, 18), time(9)), satisfied=2)
    api.clock.set(sh(date(2026, 12, 2), time(9)))
    return world


def test_month_report_all_windows_and_staff_scope(api: Api) -> None:
    facts(api)
    r = api.client.get("/api/v1/reports/months/2026-11", headers=api.auth("management"))
    assert r.status_code == 200, r.text
    body = r.json()
    got = {w["window"]["number"]: (w["score"]["final_shown"], w["rank"]) for w in body["windows"]}
    assert got == {"A01": ("3.75", 2), "A02": ("5.00", 1)}
    mine = api.client.get("/api/v1/reports/months/2026-11", headers=api.auth("staff")).json()
    # A rank compares every window: none on a partial view of an open month.
    assert [(w["window"]["number"], w["rank"]) for w in mine["windows"]] == [("A01", None)]
    api.client.post("/api/v1/reports/months/2026-11/close", json={"reason": "fed back"},
                    headers=api.auth("management"))
    mine = api.client.get("/api/v1/reports/months/2026-11", headers=api.auth("staff")).json()
    assert [(w["window"]["number"], w["rank"]) for w in mine["windows"]] == [("A01", 2)]      # as fed back
    r = api.client.get("/api/v1/reports/months/2026-11/windows/A02", headers=api.auth("staff"))
    assert r.status_code == 403
    r = api.client.get("/api/v1/reports/months/2026-11/windows/A02", headers=api.auth("staff2"))
    assert r.status_code == 200 and r.json()["windows"][0]["score"]["final"] == "5/1"


def test_close_and_reopen_by_management_only(api: Api) -> None:
    facts(api)
    assert api.client.post("/api/v1/reports/months/2026-11/close", json={"reason": "x"},
                           headers=api.auth("staff")).status_code == 403
    r = api.client.post("/api/v1/reports/months/2026-11/close", json={"reason": "fed back"},
                        headers=api.auth("management"))
    assert r.status_code == 200, r.text
    r = api.client.post("/api/v1/reports/months/2026-11/close", json={"reason": "again"},
                        headers=api.auth("management"))
    assert r.status_code == 409
    r = api.client.post("/api/v1/reports/months/2026-11/reopen", json={"reason": ""},
                        headers=api.auth("management"))
    assert r.status_code == 409 and "原因（--reason）" in r.text
    r = api.client.post("/api/v1/reports/months/2026-11/reopen", json={"reason": "late events"},
                        headers=api.auth("admin"))
    assert r.status_code == 200
    hist = api.client.get("/api/v1/reports/months/2026-11/history", headers=api.auth("staff")).json()
    assert [(h["action"], h["by"]) for h in hist] == [("close", "management"), ("reopen", "admin")]


def test_errors_are_clear(api: Api) -> None:
    api.clock.set(sh(date(2027, 2, 2)))
    r = api.client.get("/api/v1/reports/months/2027-01", headers=api.auth("management"))
    assert r.status_code == 409 and "2027-01-01" in r.text and "evalpad calendar set" in r.text
    r = api.client.get("/api/v1/reports/months/2026-13", headers=api.auth("management"))
    assert r.status_code == 422 and "YYYY-MM" in r.text
    assert api.client.get("/api/v1/reports/months/2026-11").status_code == 401


def test_period_and_config(api: Api) -> None:
    facts(api)
    r = api.client.get("/api/v1/reports/periods/2026-Q4", headers=api.auth("management"))
    assert r.status_code == 200
    assert [(w["rank"], w["score_shown"]) for w in r.json()["windows"]] == [(1, "5.00"), (2, "3.75")]
    cfg = api.client.get("/api/v1/reports/config/2026", headers=api.auth("it")).json()
    assert cfg["summer_schedule"]["assumption"] is True and cfg["settings"]["grace_ms"]["value"] == "180000"

"""The review routes through the real app (R3, R6, R7, R8): roles, decisions, imports, exports."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from host.models.fleet import Window
from tests.api.conftest import Api, RecordingPublish, build_api
from tests.review.conftest import sh
from tests.review.facts import Hall

MONTH = "2026-11"


@pytest.fixture
def api(db_url: str, tmp_path: Path) -> Iterator[Api]:
    yield from build_api(db_url, tmp_path, RecordingPublish())


def a01(api: Api) -> int:
    with Session(api.engine) as s:
        w = s.exec(select(Window).where(Window.number == "A01")).one()
        assert w.id is not None
        return w.id


def test_r6_detect_list_and_decide_by_role(api: Api) -> None:
    w = a01(api)
    with Session(api.engine) as s:
        hall = Hall(s)
        hall.seq["pad-a01"] = 100
        hall.event("pad-a01", w, "prompt", sh(2026, 11, 20, 10, 0), svc="T1", source="host")
        cancel = hall.event(
            "pad-a01", w, "prompt_end", sh(2026, 11, 20, 10, 0, 4), svc="T1", reason="cancelled"
        )
        first = hall.eval("pad-a01", w, sh(2026, 11, 20, 10, 5))
        second = hall.eval("pad-a01", w, sh(2026, 11, 20, 10, 5, 10))
    c = api.client
    assert (
        c.post("/api/v1/violations/detect", json={"month": MONTH}, headers=api.auth("staff")).status_code
        == 403
    )
    r = c.post("/api/v1/violations/detect", json={"month": MONTH}, headers=api.auth("management"))
    assert r.status_code == 200, r.text
    assert r.json()["added"] == 2 and r.json()["windows"] == 2
    mine = c.get(f"/api/v1/violations?month={MONTH}", headers=api.auth("staff")).json()
    assert {(x["kind"], x["subject_event_id"]) for x in mine} == {
        ("refused", cancel),
        ("consecutive", second),
    }
    refused = next(x for x in mine if x["kind"] == "refused")
    assert (
        refused["points"] == "2.5"
        and refused["evidence"] == [cancel - 1, cancel]
        and refused["window"] == "A01"
    )
    consecutive = next(x for x in mine if x["kind"] == "consecutive")
    assert consecutive["evidence"] == [first, second]
    assert c.get(f"/api/v1/violations?month={MONTH}", headers=api.auth("staff2")).json() == []
    assert c.get("/api/v1/violations?window=A01", headers=api.auth("staff2")).status_code == 403
    url = f"/api/v1/violations/{consecutive['id']}/confirm"
    assert c.post(url, json={"reason": "x"}, headers=api.auth("staff")).status_code == 403
    assert c.post(url, json={"reason": ""}, headers=api.auth("management")).status_code == 422
    r = c.post(url, json={"reason": "video 11-20 10:05"}, headers=api.auth("management"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "confirmed"
    assert [(d["decision"], d["reviewer"], d["reason"]) for d in body["decisions"]] == [
        ("confirm", "management", "video 11-20 10:05")
    ]
    again = c.post(url, json={"reason": "again"}, headers=api.auth("management"))
    assert again.status_code == 409 and again.json()["fix"]
    x = c.get(f"/api/v1/violations/export?month={MONTH}&format=xlsx", headers=api.auth("management"))
    assert x.status_code == 200 and x.headers["content-type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(x.content)).active
    assert ws["A2"].value == "编号" and {ws["C3"].value, ws["C4"].value} == {"拒绝评议", "连续评价"}


def test_r3_volume_import_over_http(api: Api) -> None:
    c, mgmt = api.client, api.auth("management")
    bad = "窗口号,月份,业务受理量\nA01,2026-11,80\nA09,2026-11,5\n".encode()
    r = c.post("/api/v1/volume/import?filename=nov.csv", content=bad, headers=mgmt)
    assert r.status_code == 422
    assert [(e["row"], e["column"]) for e in r.json()["errors"]] == [(3, "窗口号")]
    assert "未导入任何数据" in r.json()["detail"]
    assert c.get(f"/api/v1/volume?window=A01&month={MONTH}", headers=mgmt).json()["source"] == "none"
    r = c.post("/api/v1/volume/import?filename=nov.csv&preview=true", content=bad, headers=mgmt)
    assert r.status_code == 200 and r.json()["stored"] is False and len(r.json()["errors"]) == 1
    good = "窗口号,月份,业务受理量\nA01,2026-11,80\nA02,2026-11,5\n".encode()
    assert (
        c.post("/api/v1/volume/import?filename=nov.csv", content=good, headers=api.auth("staff")).status_code
        == 403
    )
    r = c.post("/api/v1/volume/import?filename=nov.csv", content=good, headers=mgmt)
    assert r.status_code == 201 and r.json()["stored"] and len(r.json()["rows"]) == 2
    assert c.get(f"/api/v1/volume?window=A01&month={MONTH}", headers=api.auth("staff")).json() == {
        "window": "A01",
        "month": MONTH,
        "volume": 80,
        "source": "import",
    }
    assert c.get(f"/api/v1/volume?window=A02&month={MONTH}", headers=api.auth("staff")).status_code == 403


def test_r7_fault_report_lifecycle_and_r8_waiver_over_http(api: Api) -> None:
    c = api.client
    r = c.post("/api/v1/faults", json={"detail": "满意键失灵"}, headers=api.auth("staff"))
    assert r.status_code == 201, r.text
    f = r.json()
    assert (f["window"], f["device_id"], f["source"], f["status"]) == ("A01", "pad-a01", "staff", "open")
    assert (
        c.post(
            "/api/v1/faults", json={"detail": "x", "window": "A01"}, headers=api.auth("staff2")
        ).status_code
        == 403
    )
    assert c.post(f"/api/v1/faults/{f['id']}/ack", json={}, headers=api.auth("staff")).status_code == 403
    r = c.post(
        f"/api/v1/faults/{f['id']}/resolve",
        json={"verdict": "pad_fault", "notes": "x"},
        headers=api.auth("it"),
    )
    assert r.status_code == 409 and "请先受理" in r.json()["fix"]
    assert (
        c.post(f"/api/v1/faults/{f['id']}/ack", json={"assignee": "chen"}, headers=api.auth("it")).status_code
        == 200
    )
    api.clock.advance(30 * 60_000)
    r = c.post(
        f"/api/v1/faults/{f['id']}/resolve",
        json={"verdict": "pad_fault", "notes": "换按键"},
        headers=api.auth("it"),
    )
    assert r.status_code == 200 and r.json()["verdict"] == "pad_fault"
    s = c.get(f"/api/v1/faults/summary?month={MONTH}", headers=api.auth("it")).json()
    assert s["total"] == 1 and s["mttr_ms"] == 30 * 60_000 and s["per_pad"] == {"pad-a01": 1}
    x = c.get(f"/api/v1/faults/export?month={MONTH}&format=csv", headers=api.auth("management"))
    assert x.status_code == 200 and "换按键" in x.content.decode("utf-8-sig")
    assert c.get("/api/v1/faults/export?format=pdf", headers=api.auth("it")).status_code == 422

    key = f"{a01(api)}:{MONTH}:shortfall:-"
    body = {
        "window": "A01",
        "month": MONTH,
        "key": key,
        "reason": "pad fault for two weeks (fault %d)" % f["id"],
    }
    assert c.post("/api/v1/waivers", json=body, headers=api.auth("it")).status_code == 403
    r = c.post("/api/v1/waivers", json=body, headers=api.auth("management"))
    assert r.status_code == 201 and r.json()["key"] == key
    listed = c.get(f"/api/v1/waivers?month={MONTH}", headers=api.auth("staff")).json()
    assert [w["reason"] for w in listed] == [body["reason"]]


def test_r6_patrol_report_r7_staff_sees_own_faults_r8_revoke(api: Api) -> None:
    c = api.client
    w = a01(api)
    with Session(api.engine) as s:
        ev = Hall(s).eval("pad-a01", w, sh(2026, 11, 20, 10, 5))
    body = {
        "window": "A01",
        "kind": "self_eval",
        "at_ms": sh(2026, 11, 20, 10, 5),
        "source": "patrol",
        "detail": "巡查看到工作人员自己按满意",
        "subject_event_id": ev,
    }
    assert c.post("/api/v1/violations/report", json=body, headers=api.auth("staff")).status_code == 403
    r = c.post("/api/v1/violations/report", json=body, headers=api.auth("patrol"))
    assert r.status_code == 201, r.text
    assert (r.json()["source"], r.json()["status"], r.json()["evidence"]) == ("patrol", "open", [ev])

    c.post("/api/v1/faults", json={"detail": "A02 屏幕花屏", "window": "A02"}, headers=api.auth("it"))
    c.post("/api/v1/faults", json={"detail": "A01 按键失灵"}, headers=api.auth("staff"))
    assert [f["window"] for f in c.get("/api/v1/faults", headers=api.auth("staff")).json()] == ["A01"]
    assert len(c.get("/api/v1/faults", headers=api.auth("patrol")).json()) == 2

    key = f"{w}:{MONTH}:closure:{sh(2026, 11, 20, 9, 0)}"
    made = c.post(
        "/api/v1/waivers",
        json={"window": "A01", "month": MONTH, "key": key, "reason": "停电"},
        headers=api.auth("management"),
    ).json()
    r = c.post(
        f"/api/v1/waivers/{made['id']}/revoke",
        json={"reason": "停电在下班后"},
        headers=api.auth("management"),
    )
    assert r.status_code == 200 and r.json()["revoke_reason"] == "停电在下班后"
    assert c.get(f"/api/v1/waivers?month={MONTH}", headers=api.auth("management")).json() == []

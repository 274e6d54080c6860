"""Windows, devices and the assignment history (R10) through the API, with the audit trail (R12)."""

from __future__ import annotations

from sqlmodel import col, select

from host.broker.mosquitto import read_passwords
from host.models import Assignment, AuditEntry
from tests.api.conftest import T0, Api

V1 = "/api/v1"


def _audit(api: Api, action: str) -> list[AuditEntry]:
    with api.session() as s:
        return list(
            s.exec(select(AuditEntry).where(AuditEntry.action == action).order_by(col(AuditEntry.id)))
        )


def test_add_and_list_windows_with_clear_errors(api: Api) -> None:
    admin = api.auth("admin")
    r = api.client.post(
        f"{V1}/windows",
        headers=api.auth("management"),
        json={"number": "B05", "name": "交警窗口", "category": "police_traffic", "reason": "new counter"},
    )
    assert r.status_code == 201, r.text
    assert r.json() == {
        "number": "B05",
        "name": "交警窗口",
        "department": "",
        "category": "police_traffic",
        "active": True,
        "device": None,
    }
    numbers = [w["number"] for w in api.client.get(f"{V1}/windows", headers=admin).json()]
    assert numbers == ["A01", "A02", "B05"]
    dup = api.client.post(f"{V1}/windows", headers=admin, json={"number": "B05", "name": "again"})
    assert dup.status_code == 409
    assert dup.headers["content-type"] == "application/problem+json"
    assert dup.json()["detail"] == "窗口 B05 已存在" and dup.json()["fix"]
    bad = api.client.post(f"{V1}/windows", headers=admin, json={"number": "B 05!", "name": "x"})
    assert bad.status_code == 422 and "与柜台上印的一致" in bad.json()["fix"]
    missing = api.client.post(f"{V1}/windows", headers=admin, json={"number": "B06"})
    assert missing.status_code == 422
    assert missing.json()["errors"] == [{"where": "body.name", "problem": "Field required"}]
    entry = _audit(api, "window.add")[-1]
    assert (entry.actor, entry.subject, entry.reason) == ("management", "B05", "new counter")


def test_device_add_shows_the_broker_password_once(api: Api) -> None:
    it = api.auth("it")
    r = api.client.post(
        f"{V1}/devices", headers=it, json={"id": "qp-0107", "window": "A01", "label": "spare 1"}
    )
    # A01 already has pad-a01: the new pad takes its place (a swap), pad-a01 goes to no window.
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["window"] == "A01" and body["broker"]["username"] == "qp-0107"
    password = body["broker"]["password"]
    assert len(password) >= 20
    passwd = read_passwords(api.settings.data_dir / "broker" / "passwd")
    assert passwd["qp-0107"].startswith("$7$") and password not in passwd["qp-0107"]
    shown = api.client.get(f"{V1}/devices/qp-0107", headers=it)
    assert shown.status_code == 200 and password not in shown.text and "broker" not in shown.json()
    assert api.client.get(f"{V1}/devices/pad-a01", headers=it).json()["window"] is None
    bad = api.client.post(f"{V1}/devices", headers=it, json={"id": "QP_0107"})
    assert bad.status_code == 422 and "3-32 位" in bad.json()["fix"]
    again = api.client.post(f"{V1}/devices", headers=it, json={"id": "qp-0107"})
    assert again.status_code == 409
    assert read_passwords(api.settings.data_dir / "broker" / "passwd")["qp-0107"] == passwd["qp-0107"]


def test_assignment_history_is_appended_never_edited(api: Api) -> None:
    """R10: moving a pad closes its interval and opens a new one; nothing is rewritten."""
    it = api.auth("it")
    t1 = api.clock.now_ms()
    r = api.client.post(f"{V1}/devices/pad-a01/assign", headers=it, json={"window": "A02", "reason": "swap"})
    assert r.status_code == 200, r.text
    assert r.json()["start_ms"] == t1 and r.json()["end_ms"] is None
    api.clock.advance(60_000)
    t2 = api.clock.now_ms()
    assert (
        api.client.post(f"{V1}/devices/pad-a01/assign", headers=it, json={"window": "A01"}).status_code == 200
    )
    hist = api.client.get(f"{V1}/assignments?device=pad-a01", headers=it).json()
    assert [(h["window"], h["end_ms"]) for h in hist] == [("A01", t1), ("A02", t2), ("A01", None)]
    assert hist[1]["start_ms"] == t1 and hist[2]["start_ms"] == t2
    # pad-a02 was displaced from A02 at t1 and is on no window now.
    hist2 = api.client.get(f"{V1}/assignments?device=pad-a02", headers=it).json()
    assert [(h["window"], h["end_ms"]) for h in hist2] == [("A02", t1)]
    same = api.client.post(f"{V1}/devices/pad-a01/assign", headers=it, json={"window": "A01"})
    assert same.status_code == 409 and same.json()["fix"] == "无需再操作"
    nowhere = api.client.post(f"{V1}/devices/pad-a01/assign", headers=it, json={"window": "Z99"})
    assert nowhere.status_code == 404 and "先添加该窗口" in nowhere.json()["fix"]
    moves = _audit(api, "device.assign")
    assert [(m.subject, m.detail["window"], m.detail["displaced"]) for m in moves[-2:]] == [
        ("pad-a01", "A02", "pad-a02"),
        ("pad-a01", "A01", None),
    ]
    assert moves[-2].reason == "swap" and moves[-2].actor == "it" and moves[-2].at_ms == t1


def test_retire_device_and_window(api: Api) -> None:
    it, mgmt = api.auth("it"), api.auth("management")
    r = api.client.post(f"{V1}/windows/A02/retire", headers=mgmt, json={"reason": "closed"})
    assert r.status_code == 409 and "pad-a02" in r.json()["fix"]
    t = api.clock.now_ms()
    r = api.client.post(f"{V1}/devices/pad-a02/retire", headers=it, json={"reason": "broken beyond repair"})
    assert r.status_code == 200 and r.json()["retired_ms"] == t and r.json()["window"] is None
    with api.session() as s:
        a = s.exec(select(Assignment).where(Assignment.device_id == "pad-a02")).one()
        assert a.end_ms == t
    assert (
        api.client.post(f"{V1}/windows/A02/retire", headers=mgmt, json={"reason": "closed"}).status_code
        == 200
    )
    assert [w["number"] for w in api.client.get(f"{V1}/windows", headers=it).json()] == ["A01"]
    assert len(api.client.get(f"{V1}/windows?include_retired=true", headers=it).json()) == 2
    assert [d["id"] for d in api.client.get(f"{V1}/devices", headers=it).json()] == ["pad-a01"]
    r = api.client.post(f"{V1}/devices/pad-a02/assign", headers=it, json={"window": "A01"})
    assert r.status_code == 409 and "已停用" in r.json()["detail"]
    r = api.client.post(f"{V1}/devices", headers=it, json={"id": "pad-a02"})
    assert r.status_code == 409 and "编号不重复使用" in r.json()["detail"]
    assert _audit(api, "device.retire")[-1].reason == "broken beyond repair"


def test_unknown_paths_and_methods_are_problems(sqlite_api: Api) -> None:
    api = sqlite_api
    r = api.client.get(f"{V1}/nope", headers=api.auth("admin"))
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert "/docs" in r.json()["fix"]
    r = api.client.get(f"{V1}/devices/nope-1", headers=api.auth("admin"))
    assert r.status_code == 404 and r.json()["detail"] == "评价器 'nope-1' 尚未登记"


def test_the_audit_trail_answers_who_when_why(api: Api) -> None:
    """R12: every change above is readable back, newest first, with who, when and why."""
    it = api.auth("it")
    t = api.clock.now_ms()
    api.client.post(f"{V1}/devices/pad-a01/unassign", headers=it, json={"reason": "sent for repair"})
    page = api.client.get(f"{V1}/audit?subject=pad-a01", headers=api.auth("management")).json()
    assert page["total"] == 3  # add, assign (fixture), unassign
    newest = page["items"][0]
    assert (newest["action"], newest["actor"], newest["at_ms"], newest["reason"]) == (
        "device.unassign",
        "it",
        t,
        "sent for repair",
    )
    only = api.client.get(f"{V1}/audit?action=window.add", headers=it).json()
    assert [e["subject"] for e in only["items"]] == ["A02", "A01"]


def test_r10_assignment_correction_over_the_api(api: Api) -> None:
    """IT records an exchange at its real past time: the pads' events follow (R10), the change is
    audited (R12), a preview stores nothing, staff may not, bad input is a problem with a fix."""
    from host.models import Event

    swap = T0 + 5 * 60_000
    api.clock.advance(3_600_000)
    with api.session() as s:
        for seq, (dev, win) in enumerate((("pad-a01", 1), ("pad-a02", 2)), start=1):
            s.add(Event(device_id=dev, seq=seq, boot=1, up_ms=seq, type="eval", at_ms=swap + 60_000,
                        received_ms=swap + 61_000, window_id=win, rating="satisfied", body={}))
        s.commit()
    it = api.auth("it")
    body = {"at_ms": swap, "reason": "两台评价器对调，当时未登记",
            "moves": [{"device": "pad-a01", "window": "A02"}, {"device": "pad-a02", "window": "A01"}]}
    r = api.client.post(f"{V1}/assignments/corrections", headers=it, json={**body, "preview": True})
    assert r.status_code == 201 and r.json()["preview"] and r.json()["id"] is None
    assert api.client.get(f"{V1}/assignments/corrections", headers=it).json() == []
    staff = api.client.post(f"{V1}/assignments/corrections", headers=api.auth("staff"), json=body)
    assert staff.status_code == 403
    r = api.client.post(f"{V1}/assignments/corrections", headers=it, json=body)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["events_moved"] == 2 and out["closed_months"] == [] and out["replayed"] == 0
    assert {(m["from"], m["to"], m["events"]) for m in out["moved"]} == {("A01", "A02", 1), ("A02", "A01", 1)}
    with api.session() as s:
        assert {e.device_id: e.window_id for e in s.exec(select(Event)).all()} == {"pad-a01": 2, "pad-a02": 1}
    hist = api.client.get(f"{V1}/assignments?device=pad-a01", headers=it).json()
    assert [(h["window"], h["start_ms"] == swap, h["end_ms"]) for h in hist] == [
        ("A01", False, swap), ("A02", True, None)]
    (entry,) = _audit(api, "assignment.correct")
    assert entry.actor == "it" and entry.detail["moved_at_ms"] == swap and entry.detail["events_moved"] == 2
    listed = api.client.get(f"{V1}/assignments/corrections", headers=it).json()
    assert [c["id"] for c in listed] == [out["id"]]
    future = api.client.post(f"{V1}/assignments/corrections", headers=it,
                             json={**body, "at_ms": api.clock.now_ms() + 60_000})
    assert future.status_code == 422 and "晚于现在" in future.json()["detail"] and future.json()["fix"]
    twice = api.client.post(f"{V1}/assignments/corrections", headers=it, json={
        **body, "moves": [{"device": "pad-a01", "window": "A01"}, {"device": "pad-a02", "window": "A01"}]})
    assert twice.status_code == 422 and "写了两次" in twice.json()["detail"]
    unknown = api.client.post(f"{V1}/assignments/corrections", headers=it,
                              json={**body, "moves": [{"device": "pad-zz", "window": "A01"}]})
    assert unknown.status_code == 404
    no_reason = api.client.post(f"{V1}/assignments/corrections", headers=it, json={**body, "reason": "  "})
    assert no_reason.status_code == 422 and "写明原因" in no_reason.json()["detail"]

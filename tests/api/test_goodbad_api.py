"""好差评 through the API (issue 16), SQLite and PostgreSQL: cases held to the staff's own window,
回访 and closure the management section's, rectification the window's; the month's rates; the
alerts; the platform export. Every step audited (R12)."""

from __future__ import annotations

import json

from sqlmodel import select

from host.clock import local
from host.goodbad.watch import check
from host.models import AuditEntry, Event
from host.rules.month_span import month_of
from tests.api.conftest import Api


def _bad_reviews(api: Api) -> dict[str, int]:
    """A bad review at each window, the watch having looked: window number -> case id."""
    at = api.clock.now_ms() - 60_000
    with api.session() as s:
        for seq, (dev, wid) in enumerate((("pad-a01", 1), ("pad-a02", 2)), start=1):
            s.add(
                Event(
                    device_id=dev,
                    seq=seq,
                    boot=1,
                    up_ms=seq,
                    type="eval",
                    pad_ts_ms=at,
                    at_ms=at,
                    received_ms=at + 50,
                    window_id=wid,
                    rating="unsatisfied",
                    level=2,
                    case_no=f"C-{seq}",
                    item="事项",
                    body={"v": 1, "seq": seq, "type": "eval", "rating": "unsatisfied", "level": 2},
                )
            )
        s.commit()
        check(s, after_id=0, now_ms=api.clock.now_ms())
    rows = api.client.get("/api/v1/badreviews", headers=api.auth("management")).json()
    return {r["window"]: r["id"] for r in rows}


def test_cases_steps_and_who_may_take_them(api: Api) -> None:
    ids = _bad_reviews(api)
    c = api.client
    mine = c.get("/api/v1/badreviews", headers=api.auth("staff")).json()
    assert [(r["window"], r["case_no"], r["level"], r["status"]) for r in mine] == [("A01", "C-1", 2, "open")]
    assert c.get(f"/api/v1/badreviews/{ids['A02']}", headers=api.auth("staff")).status_code == 403
    step = {"text": "已致电群众"}
    assert (
        c.post(f"/api/v1/badreviews/{ids['A01']}/callback", json=step, headers=api.auth("staff")).status_code
        == 403
    )
    r = c.post(f"/api/v1/badreviews/{ids['A01']}/callback", json=step, headers=api.auth("management"))
    assert r.status_code == 200 and r.json()["callback"]["by"] == "management"
    fix = {"text": "调整叫号顺序"}
    assert (
        c.post(f"/api/v1/badreviews/{ids['A01']}/rectify", json=fix, headers=api.auth("staff2")).status_code
        == 403
    )
    assert (
        c.post(f"/api/v1/badreviews/{ids['A01']}/rectify", json=fix, headers=api.auth("staff")).status_code
        == 200
    )
    r = c.post(
        f"/api/v1/badreviews/{ids['A01']}/close", json={"text": "结案"}, headers=api.auth("management")
    )
    assert r.status_code == 200 and r.json()["status"] == "closed"
    r = c.post(
        f"/api/v1/badreviews/{ids['A02']}/close", json={"text": "结案"}, headers=api.auth("management")
    )
    assert r.status_code == 422 and "回访" in r.json()["detail"]  # not called back yet
    with api.session() as s:
        steps = [
            (a.action, a.actor)
            for a in s.exec(
                select(AuditEntry).where(
                    AuditEntry.subject == str(ids["A01"]), AuditEntry.action.startswith("badreview.")
                )
            ).all()
        ]  # type: ignore[attr-defined]
    assert steps == [
        ("badreview.open", "system"),
        ("badreview.callback", "management"),
        ("badreview.rectify", "staff"),
        ("badreview.close", "management"),
    ]


def test_month_rates_staff_see_their_own(api: Api) -> None:
    _bad_reviews(api)
    month = month_of(api.clock.now_ms())
    every = api.client.get(f"/api/v1/badreviews/stats/{month}", headers=api.auth("management")).json()
    assert every["center"]["bad"] == 2 and every["center"]["bad_rate"]["shown"] == "100.0%"
    assert every["center"]["callback_rate"]["shown"] == "0.0%"
    own = api.client.get(f"/api/v1/badreviews/stats/{month}", headers=api.auth("staff")).json()
    assert own["center"] is None and list(own["windows"]) == ["A01"]


def test_alerts_and_the_platform_export(api: Api) -> None:
    _bad_reviews(api)
    alerts = api.client.get("/api/v1/alerts", headers=api.auth("patrol")).json()
    assert sorted(a["window"] for a in alerts) == ["A01", "A02"] and {a["kind"] for a in alerts} == {
        "bad_review"
    }
    r = api.client.post(f"/api/v1/alerts/{alerts[0]['id']}/ack", headers=api.auth("management"))
    assert r.status_code == 200 and r.json()["acknowledged_by"] == "management"
    month = month_of(api.clock.now_ms())
    r = api.client.get(f"/api/v1/exports/platform?month={month}", headers=api.auth("management"))
    assert r.status_code == 200 and json.loads(r.content)["count"] == 2
    r = api.client.get(f"/api/v1/exports/platform?month={month}&format=csv", headers=api.auth("admin"))
    assert r.status_code == 200 and r.content.decode("utf-8-sig").startswith("id,case_no,item,channel")
    assert (
        api.client.get("/api/v1/exports/platform?month=2026/10", headers=api.auth("admin")).status_code
        == 422
    )
    day = local(api.clock.now_ms()).date().isoformat()
    r = api.client.get(f"/api/v1/exports/platform?day={day}", headers=api.auth("management"))
    assert r.status_code == 200 and json.loads(r.content)["period"] == day
    for query in ("", f"?month={month}&day={day}", "?day=2026-02-30"):
        r = api.client.get(f"/api/v1/exports/platform{query}", headers=api.auth("management"))
        assert r.status_code == 422, query    # a month or a day, exactly one, and a real one

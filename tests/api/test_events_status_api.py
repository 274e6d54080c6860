"""Events (filtered, paged, with total), live status and rejected messages through the API."""

from __future__ import annotations

from sqlmodel import select

from host.models import DeviceStatus, Event, RejectedMessage
from host.models.fleet import Window
from tests.api.conftest import T0, Api

V1 = "/api/v1"


def _store_events(api: Api) -> None:
    """Events as the ingest stores them (the ingest itself is tested in tests/ingest)."""
    with api.session() as s:
        win = {w.number: w.id for w in s.exec(select(Window))}
        for i in range(30):
            dev, number = ("pad-a01", "A01") if i % 3 else ("pad-a02", "A02")
            s.add(
                Event(
                    device_id=dev,
                    seq=i,
                    boot=1,
                    up_ms=1000 * i,
                    type="eval" if i % 5 else "pause",
                    pad_ts_ms=T0 + 1000 * i,
                    at_ms=T0 + 1000 * i,
                    received_ms=T0 + 1000 * i + 50,
                    window_id=win[number],
                    rating="satisfied" if i % 5 else None,
                    body={"v": 1, "dev": dev, "seq": i},
                )
            )
        s.commit()


def test_events_filter_and_page(api: Api) -> None:
    _store_events(api)
    mgmt = api.auth("management")
    page = api.client.get(f"{V1}/events?limit=7", headers=mgmt).json()
    assert page["total"] == 30 and page["limit"] == 7 and len(page["items"]) == 7
    assert [e["seq"] for e in page["items"]] == list(range(7))
    seen = []
    for offset in range(0, 30, 7):
        seen += [
            e["seq"]
            for e in api.client.get(f"{V1}/events?limit=7&offset={offset}", headers=mgmt).json()["items"]
        ]
    assert seen == list(range(30))
    a02 = api.client.get(f"{V1}/events?window=A02", headers=mgmt).json()
    assert a02["total"] == 10 and {e["window"] for e in a02["items"]} == {"A02"}
    assert {e["device_id"] for e in a02["items"]} == {"pad-a02"}
    pauses = api.client.get(f"{V1}/events?type=pause&device=pad-a01", headers=mgmt).json()
    assert [e["seq"] for e in pauses["items"]] == [5, 10, 20, 25]
    span = api.client.get(
        f"{V1}/events?from_ms={T0 + 10_000}&to_ms={T0 + 13_000}&order=desc", headers=mgmt
    ).json()
    assert [e["seq"] for e in span["items"]] == [12, 11, 10] and span["total"] == 3
    # Staff see their own window only, without asking for it.
    mine = api.client.get(f"{V1}/events", headers=api.auth("staff")).json()
    assert mine["total"] == 20 and {e["window"] for e in mine["items"]} == {"A01"}
    bad = api.client.get(f"{V1}/events?limit=5000", headers=mgmt)
    assert bad.status_code == 422 and bad.json()["errors"][0]["where"] == "query.limit"
    swapped = api.client.get(f"{V1}/events?from_ms=10&to_ms=5", headers=mgmt)
    assert swapped.status_code == 422 and swapped.json()["fix"] == "把两个时间对调"


def test_live_status(api: Api) -> None:
    with api.session() as s:
        s.add(
            DeviceStatus(
                device_id="pad-a01",
                online=True,
                mode="paused",
                since_ms=T0,
                last_seen_ms=T0 + 5,
                fw="1.0.0",
                boot=3,
                faults="display,clock",
                rssi=-60,
            )
        )
        s.add(DeviceStatus(device_id="pad-a02", online=False, since_ms=T0 + 9))
        s.commit()
    rows = api.client.get(f"{V1}/status", headers=api.auth("patrol")).json()
    assert [(r["device_id"], r["window"], r["online"], r["mode"]) for r in rows] == [
        ("pad-a01", "A01", True, "paused"),
        ("pad-a02", "A02", False, None),
    ]
    assert rows[0]["faults"] == ["display", "clock"] and rows[1]["faults"] == []
    one = api.client.get(f"{V1}/status/pad-a02", headers=api.auth("it")).json()
    assert one["since_ms"] == T0 + 9
    assert [r["device_id"] for r in api.client.get(f"{V1}/status", headers=api.auth("staff2")).json()] == [
        "pad-a02"
    ]
    api.client.post(f"{V1}/devices", headers=api.auth("it"), json={"id": "pad-new"})
    r = api.client.get(f"{V1}/status/pad-new", headers=api.auth("it"))
    assert r.status_code == 404 and "还没有收到评价器" in r.json()["detail"]


def test_rejected_list(api: Api) -> None:
    with api.session() as s:
        for i, (dev, code) in enumerate(
            [
                ("pad-x", "unknown_device"),
                (None, "not_json"),
                ("pad-x", "unknown_device"),
                ("pad-a01", "device_mismatch"),
            ]
        ):
            s.add(
                RejectedMessage(
                    received_ms=T0 + i,
                    topic=f"evalpad/v1/{dev}/event",
                    device_id=dev,
                    code=code,
                    reason="why",
                    payload="{}",
                    raw=b"{}",
                    replayed_ms=T0 + 100 if i == 2 else None,
                )
            )
        s.commit()
    it = api.auth("it")
    page = api.client.get(f"{V1}/rejected", headers=it).json()
    assert page["total"] == 4 and [r["code"] for r in page["items"]][:2] == ["unknown_device", "not_json"]
    pending = api.client.get(f"{V1}/rejected?device=pad-x&pending=true", headers=it).json()
    assert pending["total"] == 1 and pending["items"][0]["replayed_ms"] is None
    assert api.client.get(f"{V1}/rejected?code=not_json", headers=it).json()["total"] == 1

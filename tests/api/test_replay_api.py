"""Nothing is thrown away: a pad's events held back while it was unknown are stored once an
admin registers it and assigns it from the right time (R10), through the API's replay."""

from __future__ import annotations

import base64

from sqlmodel import Session

from host.ingest.batch import BatchProcessor
from host.ingest.inbox import Received
from host.ingest.liveness import Liveness
from protocol import messages
from tests.api.conftest import T0, Api

V1 = "/api/v1"
HOUR = 3_600_000


def _arrive(api: Api, dev: str, seq: int, ts: int) -> None:
    """An event reaching the ingest (the real batch processor) before its pad is registered."""
    payload = messages.encode(
        messages.event(dev, seq, 1, 1000 * seq, ts, "eval", rating="satisfied", prompted=False)
    )
    with Session(api.engine) as s:
        BatchProcessor(Liveness(3.0, "test")).process(
            s,
            [
                Received(
                    topic=f"evalpad/v1/{dev}/event",
                    payload=payload,
                    received_ms=ts + 100,
                    mid=seq,
                    qos=1,
                    retained=False,
                    generation=0,
                )
            ],
        )
        s.commit()


def test_held_back_events_are_stored_after_registration_and_a_backdated_assignment(api: Api, publish) -> None:  # type: ignore[no-untyped-def]
    it = api.auth("it")
    _arrive(api, "pad-late", 1, T0 - HOUR // 2)
    _arrive(api, "pad-late", 2, T0 - HOUR // 4)
    held = api.client.get(f"{V1}/rejected?device=pad-late&pending=true", headers=it).json()
    assert held["total"] == 2 and {r["code"] for r in held["items"]} == {"unknown_device"}

    assert api.client.post(f"{V1}/devices", headers=it, json={"id": "pad-late"}).status_code == 201
    r = api.client.post(f"{V1}/rejected/replay", headers=it, json={"device": "pad-late"})
    assert r.status_code == 200 and r.json()["result"] == 0  # known now, but on no window

    api.client.post(f"{V1}/windows", headers=api.auth("admin"), json={"number": "A03", "name": "综合"})
    r = api.client.post(
        f"{V1}/devices/pad-late/assign",
        headers=it,
        json={"window": "A03", "since_ms": T0 - HOUR, "reason": "installed at 07:26"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["start_ms"] == T0 - HOUR
    r = api.client.post(f"{V1}/rejected/replay", headers=it, json={"device": "pad-late"})
    assert r.status_code == 200 and r.json()["result"] == 2
    events = api.client.get(f"{V1}/events?device=pad-late", headers=it).json()
    assert [(e["seq"], e["window"], e["at_ms"]) for e in events["items"]] == [
        (1, "A03", T0 - HOUR // 2),
        (2, "A03", T0 - HOUR // 4),
    ]
    assert api.client.get(f"{V1}/rejected?device=pad-late&pending=true", headers=it).json()["total"] == 0
    acks = [messages.parse_ack(p) for t, p, *_ in publish.sent if t == "evalpad/v1/pad-late/ack"]
    assert acks == [{"v": 1, "ack": [[1, 2]]}]
    # Replaying again stores nothing twice.
    assert (
        api.client.post(f"{V1}/rejected/replay", headers=it, json={"device": "pad-late"}).json()["result"]
        == 0
    )
    assert api.client.get(f"{V1}/events?device=pad-late", headers=it).json()["total"] == 2


def test_a_backdated_assignment_only_fills_a_gap(api: Api) -> None:
    it = api.auth("it")
    api.client.post(f"{V1}/windows", headers=api.auth("admin"), json={"number": "A03", "name": "综合"})

    def assign(dev: str, window: str, since: int):  # type: ignore[no-untyped-def]
        return api.client.post(
            f"{V1}/devices/{dev}/assign", headers=it, json={"window": window, "since_ms": since}
        )

    r = assign("pad-a01", "A03", T0 - HOUR)
    assert r.status_code == 409 and "改写它的历史" in r.json()["detail"]
    api.client.post(f"{V1}/devices", headers=it, json={"id": "pad-new"})
    r = assign("pad-new", "A01", T0 - HOUR)
    assert r.status_code == 409 and "现在已有评价器" in r.json()["detail"]
    r = assign("pad-new", "A03", api.clock.now_ms() + 1)
    assert r.status_code == 422 and "晚于现在" in r.json()["detail"]
    # pad-a02 leaves A02; it may not be put back on a window from before it left.
    api.clock.advance(60_000)
    left = api.client.post(f"{V1}/devices/pad-a02/unassign", headers=it, json={}).json()["end_ms"]
    r = assign("pad-a02", "A03", left - 1)
    assert r.status_code == 409 and f"since_ms 须不早于 {left}" in r.json()["fix"]
    assert assign("pad-a02", "A03", left).status_code == 200


def test_a_rejected_event_is_kept_whole_and_replayed_with_a_reason_once(api: Api) -> None:
    """Delivery 5: a rejected event (here the host failed on it: host_error) is kept with its
    raw bytes; once fixed, the IT section replays it, with a reason, exactly once (R12)."""
    from host.ingest import store

    it = api.auth("it")
    payload = messages.encode(messages.event("pad-a01", 41, 1, 1000, T0 + 500, "eval", rating="unsatisfied",
                                             prompted=False))
    with Session(api.engine) as s:
        store.keep_rejected(s, [store.rejection("evalpad/v1/pad-a01/event", payload, T0 + 600, "host_error",
                                                "the host failed on this message", "pad-a01", 41)])
        s.commit()
    [row] = api.client.get(f"{V1}/rejected?code=host_error", headers=it).json()["items"]
    assert (row["seq"], base64.b64decode(row["raw_base64"])) == (41, payload)

    r = api.client.post(f"{V1}/rejected/replay", headers=it, json={"ids": [row["id"]]})
    assert r.status_code == 422 and "必须写明原因" in r.json()["detail"]
    r = api.client.post(f"{V1}/rejected/replay", headers=it,
                        json={"ids": [row["id"]], "reason": "fixed in 1.0.1"})
    assert r.status_code == 200, r.text
    assert (r.json()["result"], r.json()["stored"]) == (1, 1)
    again = api.client.post(f"{V1}/rejected/replay", headers=it, json={"ids": [row["id"]], "reason": "again"})
    assert (again.json()["result"], again.json()["skipped"]) == (0, 1)
    events = api.client.get(f"{V1}/events?device=pad-a01", headers=it).json()
    assert [(e["seq"], e["rating"]) for e in events["items"] if e["seq"] == 41] == [(41, "unsatisfied")]
    audit = api.client.get(f"{V1}/audit?action=rejected.replay", headers=api.auth("admin")).json()
    assert sorted((a["actor"], a["reason"], a["detail"]["replayed"]) for a in audit["items"]) == [
        ("it", "again", 0), ("it", "fixed in 1.0.1", 1)]


def test_conflicts_are_listed_with_both_payloads(api: Api) -> None:
    def arrive(rating: str) -> None:
        payload = messages.encode(messages.event("pad-a01", 9, 1, 9000, T0 + 300, "eval", rating=rating,
                                                 prompted=False))
        with Session(api.engine) as s:
            BatchProcessor(Liveness(3.0, "test")).process(s, [Received(
                topic="evalpad/v1/pad-a01/event", payload=payload, received_ms=T0 + 400, mid=1, qos=1,
                retained=False, generation=0)])
            s.commit()

    arrive("satisfied")
    arrive("unsatisfied")
    page = api.client.get(f"{V1}/rejected/conflicts?device=pad-a01", headers=api.auth("it")).json()
    assert page["total"] == 1
    c = page["items"][0]
    assert (c["seq"], c["stored"]["rating"], c["body"]["rating"]) == (9, "satisfied", "unsatisfied")
    assert c["fault_id"] is not None

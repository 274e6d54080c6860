"""The queue-system hook: service sessions start and end by ticket, and can prompt the pad (R3, R6)."""

from __future__ import annotations

import queue

import pytest
from sqlmodel import select

from host.models import ServiceSession
from protocol import messages
from tests.api.conftest import Api, pad_client

V1 = "/api/v1"


@pytest.mark.broker
def test_session_start_end_and_prompt_to_the_windows_pad(live_api) -> None:  # type: ignore[no-untyped-def]
    api, broker = live_api
    pad = pad_client(api, broker, "pad-a01")
    queue_system = api.auth("staff")  # a window's queue terminal acts as that window's staff
    try:
        t0 = api.clock.now_ms()
        r = api.client.post(
            f"{V1}/windows/A01/sessions", headers=queue_system, json={"ticket": "A0123", "action": "start"}
        )
        assert r.status_code == 201, r.text
        assert (r.json()["started_ms"], r.json()["ended_ms"], r.json()["command"]) == (t0, None, None)
        again = api.client.post(
            f"{V1}/windows/A01/sessions", headers=queue_system, json={"ticket": "A0123", "action": "start"}
        )
        assert again.status_code == 200 and again.json()["started_ms"] == t0  # a retry is harmless
        api.clock.advance(180_000)
        r = api.client.post(
            f"{V1}/windows/A01/sessions",
            headers=queue_system,
            json={"ticket": "A0123", "action": "end", "prompt": True},
        )
        assert r.status_code == 201, r.text
        out = r.json()
        assert out["ended_ms"] == t0 + 180_000 and out["warnings"] == []
        topic, payload = pad.get()
        assert topic == "evalpad/v1/pad-a01/cmd"
        wire = messages.parse_command(payload)
        assert (wire["type"], wire["svc"], wire["id"]) == ("prompt", "A0123", out["command"]["id"])
        with api.session() as s:
            rows = list(s.exec(select(ServiceSession)))
        assert [(x.ticket, x.started_ms, x.ended_ms, x.source) for x in rows] == [
            ("A0123", t0, t0 + 180_000, "queue")
        ]
        retry = api.client.post(
            f"{V1}/windows/A01/sessions",
            headers=queue_system,
            json={"ticket": "A0123", "action": "end", "prompt": True},
        )
        assert retry.status_code == 200 and retry.json()["command"] is None
        assert retry.json()["warnings"] == ["a prompt for ticket A0123 was already sent; not sent again"]
        with pytest.raises(queue.Empty):
            pad.get(timeout=0.5)
        listed = api.client.get(f"{V1}/windows/A01/sessions", headers=api.auth("management")).json()
        assert [x["ticket"] for x in listed] == ["A0123"]
    finally:
        pad.close()


def test_session_errors_and_a_window_without_pad(api: Api, publish) -> None:  # type: ignore[no-untyped-def]
    it = api.auth("it")
    r = api.client.post(f"{V1}/windows/A01/sessions", headers=it, json={"ticket": "B7", "action": "end"})
    assert r.status_code == 404 and "action=start" in r.json()["fix"]
    r = api.client.post(
        f"{V1}/windows/A01/sessions",
        headers=it,
        json={"ticket": "B7", "action": "start", "at_ms": api.clock.now_ms() + 3_600_000},
    )
    assert r.status_code == 422 and "叫号系统的时钟" in r.json()["fix"]
    r = api.client.post(f"{V1}/windows/A01/sessions", headers=it, json={"ticket": "", "action": "start"})
    assert r.status_code == 422 and r.json()["errors"][0]["where"] == "body.ticket"
    late_start = api.clock.now_ms() - 60_000  # a start the queue system sends late, with its time
    r = api.client.post(
        f"{V1}/windows/A01/sessions",
        headers=it,
        json={"ticket": "B7", "action": "start", "at_ms": late_start},
    )
    assert r.status_code == 201 and r.json()["started_ms"] == late_start
    r = api.client.post(
        f"{V1}/windows/A01/sessions",
        headers=it,
        json={"ticket": "B7", "action": "end", "at_ms": late_start - 1},
    )
    assert r.status_code == 422 and "早于开始办理时间" in r.json()["detail"]
    assert (
        api.client.post(
            f"{V1}/windows/A01/sessions", headers=it, json={"ticket": "B7", "action": "end"}
        ).status_code
        == 201
    )
    r = api.client.post(f"{V1}/windows/A01/sessions", headers=it, json={"ticket": "B7", "action": "start"})
    assert r.status_code == 409 and "请用新的号" in r.json()["fix"]
    # No pad on the window: the session is recorded, the prompt is reported as not sent.
    api.client.post(f"{V1}/devices/pad-a02/unassign", headers=it, json={"reason": "repair"})
    r = api.client.post(
        f"{V1}/windows/A02/sessions", headers=it, json={"ticket": "C1", "action": "start", "prompt": True}
    )
    assert r.status_code == 201 and r.json()["command"] is None
    assert r.json()["warnings"] == ["no pad sits on window A02; no prompt was sent"]
    assert publish.sent == []
    # A broker that refuses: still recorded, the warning says why.
    publish.fail = ConnectionError("broker down")
    r = api.client.post(
        f"{V1}/windows/A01/sessions", headers=it, json={"ticket": "C2", "action": "start", "prompt": True}
    )
    assert r.status_code == 201 and "broker down" in r.json()["warnings"][0]


@pytest.mark.broker
def test_the_queue_system_prompt_carries_case_and_item_to_the_pad(live_api) -> None:  # type: ignore[no-untyped-def]
    """一事一评 (issue 16): the case number and service item reach the pad in the prompt command."""
    api, broker = live_api
    pad = pad_client(api, broker, "pad-a01")
    queue_system = api.auth("staff")
    try:
        r = api.client.post(f"{V1}/windows/A01/sessions", headers=queue_system,
                            json={"ticket": "A0200", "action": "start", "prompt": True,
                                  "case": "QP2026120100123", "item": "居住证办理"})
        assert r.status_code == 201, r.text
        wire = messages.parse_command(pad.get()[1])
        assert (wire["type"], wire["svc"], wire["case"], wire["item"]) == (
            "prompt", "A0200", "QP2026120100123", "居住证办理")
        # Without them the prompt is as before (a two-level hall's queue system).
        api.client.post(f"{V1}/windows/A01/sessions", headers=queue_system,
                        json={"ticket": "A0201", "action": "start", "prompt": True})
        wire = messages.parse_command(pad.get()[1])
        assert wire["svc"] == "A0201" and "case" not in wire and "item" not in wire
        # Too long for the contract (40 characters): refused before anything is recorded.
        r = api.client.post(f"{V1}/windows/A01/sessions", headers=queue_system,
                            json={"ticket": "A0202", "action": "start", "prompt": True, "case": "9" * 41})
        assert r.status_code == 422 and r.json()["errors"][0]["where"] == "body.case"
        # The command API takes them too (staff prompting from their desk).
        r = api.client.post(f"{V1}/devices/pad-a01/commands", headers=queue_system,
                            json={"type": "prompt", "svc": "A0203", "case": "QP-7", "item": "社保卡"})
        assert r.status_code == 201, r.text
        wire = messages.parse_command(pad.get()[1])
        assert (wire["svc"], wire["case"], wire["item"]) == ("A0203", "QP-7", "社保卡")
    finally:
        pad.close()

"""Commands to a pad are stored, really published on <prefix>/<dev>/cmd, and show the pad's result."""

from __future__ import annotations

import queue

import pytest
from sqlmodel import Session

from host.commands import record_result
from host.models import Event
from protocol import messages
from tests.api.conftest import Api, pad_client

V1 = "/api/v1"


def _cmd_result(api: Api, dev: str, seq: int, cmd_id: str, ok: bool, detail: str = "") -> object:
    """What the ingest does for a stored cmd_result event (host/ingest/batch.py)."""
    body = messages.event(
        dev, seq, 1, 5000, api.clock.now_ms(), "cmd_result", id=cmd_id, ok=ok, detail=detail
    )
    with Session(api.engine) as s:
        with s.begin_nested():
            out = record_result(
                s,
                Event(
                    device_id=dev,
                    seq=seq,
                    boot=1,
                    up_ms=5000,
                    type="cmd_result",
                    at_ms=api.clock.now_ms(),
                    received_ms=api.clock.now_ms(),
                    body=body,
                ),
            )
        s.commit()
    return out


@pytest.mark.broker
def test_prompt_reaches_the_pad_and_its_result_is_recorded(live_api) -> None:  # type: ignore[no-untyped-def]
    api, broker = live_api
    pad = pad_client(api, broker, "pad-a01")
    other = pad_client(api, broker, "pad-a02")
    try:
        created = api.client.post(
            f"{V1}/devices/pad-a01/commands",
            headers=api.auth("staff"),
            json={"type": "prompt", "svc": "A0123"},
        )
        assert created.status_code == 201, created.text
        cmd = created.json()
        assert cmd["status"] == "sent" and cmd["published_ms"] is not None
        topic, payload = pad.get()
        assert topic == "evalpad/v1/pad-a01/cmd"
        wire = messages.parse_command(payload)
        assert wire == {
            "v": 1,
            "id": cmd["id"],
            "type": "prompt",
            "svc": "A0123",
            "expires": cmd["created_ms"] + 60_000,
        }
        with pytest.raises(queue.Empty):
            other.get(timeout=0.3)  # another pad never sees it
        api.clock.advance(2_000)
        # A pad cannot answer for another pad's command; then the real answer arrives, twice.
        assert _cmd_result(api, "pad-a02", 7, cmd["id"], False, "not mine") is None
        assert _cmd_result(api, "pad-a01", 8, cmd["id"], True, "prompting") is not None
        _cmd_result(api, "pad-a01", 9, cmd["id"], False, "late duplicate")
        shown = api.client.get(f"{V1}/commands/{cmd['id']}", headers=api.auth("it")).json()
        assert (shown["status"], shown["result_ok"], shown["result_detail"]) == ("ok", True, "prompting")
        assert shown["result_ms"] == api.clock.now_ms() and shown["created_by"] == "staff"

        # Every command type of the contract goes out as the contract says.
        for body in (
            {"type": "pause", "reason": "break"},
            {"type": "resume"},
            {"type": "display", "window": "A01", "staff": "张三", "staff_id": "0042"},
            {"type": "config", "heartbeat_s": 15},
            {"type": "time"},
            {"type": "selftest"},
            {"type": "reboot", "ttl_ms": 300_000},
        ):
            r = api.client.post(f"{V1}/devices/pad-a01/commands", headers=api.auth("it"), json=body)
            assert r.status_code == 201, (body, r.text)
            wire = messages.parse_command(pad.get()[1])
            assert wire["id"] == r.json()["id"] and wire["type"] == body["type"]
            if body["type"] == "time":
                assert wire["ts"] == api.clock.now_ms()
            if body["type"] == "display":
                assert wire["staff"] == "张三"
        listed = api.client.get(f"{V1}/devices/pad-a01/commands", headers=api.auth("it")).json()
        assert len(listed) == 8
    finally:
        pad.close()
        other.close()


def test_unanswered_command_expires(sqlite_api: Api, publish) -> None:  # type: ignore[no-untyped-def]
    api = sqlite_api
    cmd = api.client.post(
        f"{V1}/devices/pad-a01/commands", headers=api.auth("it"), json={"type": "prompt", "svc": "T9"}
    ).json()
    assert publish.sent[-1][0] == "evalpad/v1/pad-a01/cmd" and publish.sent[-1][2:] == (1, False)
    api.clock.advance(60_001)
    assert api.client.get(f"{V1}/commands/{cmd['id']}", headers=api.auth("it")).json()["status"] == "expired"


def test_bad_commands_are_refused_with_what_to_send(sqlite_api: Api, publish) -> None:  # type: ignore[no-untyped-def]
    api = sqlite_api
    it = api.auth("it")
    cases = [
        ({"type": "prompt"}, "required field 'svc' is missing"),
        ({"type": "reboot", "svc": "x"}, "reboot 指令没有字段 svc"),
        ({"type": "config"}, "needs at least one of"),
        ({"type": "config", "heartbeat_s": 0}, "heartbeat_s"),
        ({"type": "launch"}, "type"),
    ]
    for body, expected in cases:
        r = api.client.post(f"{V1}/devices/pad-a01/commands", headers=it, json=body)
        assert r.status_code == 422, (body, r.text)
        assert expected in r.text, (body, r.text)
    r = api.client.post(f"{V1}/devices/pad-zz/commands", headers=it, json={"type": "reboot"})
    assert r.status_code == 404
    assert publish.sent == []


def test_broker_refusal_keeps_the_command_and_says_so(sqlite_api: Api, publish) -> None:  # type: ignore[no-untyped-def]
    api = sqlite_api
    publish.fail = ConnectionError("not connected")
    r = api.client.post(f"{V1}/devices/pad-a01/commands", headers=api.auth("it"), json={"type": "selftest"})
    assert r.status_code == 503 and "/healthz" in r.json()["fix"]
    listed = api.client.get(f"{V1}/devices/pad-a01/commands", headers=api.auth("it")).json()
    assert listed[0]["status"] == "unpublished" and "not connected" in listed[0]["publish_error"]

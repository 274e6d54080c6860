"""The queue-system hook: service sessions start and end by ticket, and can prompt the pad (R3, R6)."""

from __future__ import annotations

import queue

import pytest
from sqlmodel import Session, select

from host.models import ServiceSession, Window
from host.queue_hook import Report, record_sessions
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


def _batch(api: Api, headers: dict[str, str], lines: list[dict[str, object]]):  # type: ignore[no-untyped-def]
    return api.client.post(f"{V1}/sessions", headers=headers, json={"sessions": lines})


def test_a_batch_records_its_lines_in_order_and_refuses_the_wrong_ones_alone(api: Api, publish) -> None:  # type: ignore[no-untyped-def]
    """A queue system back from an outage reports its sessions late, in one request (R3, R6)."""
    it, now = api.auth("it"), api.clock.now_ms()
    lines: list[dict[str, object]] = [
        {"window": "A01", "ticket": "T1", "action": "start", "at_ms": now - 600_000},
        {"window": "A01", "ticket": "T1", "action": "end", "at_ms": now - 300_000},   # its start came first
        {"window": "A02", "ticket": "T2", "action": "start", "at_ms": now - 200_000},
        {"window": "Z99", "ticket": "T3", "action": "start"},                          # no such window
        {"window": "A01", "ticket": "T4", "action": "end"},                            # no start
        {"window": "A01", "ticket": "T5", "action": "start", "at_ms": now + 3_600_000},  # a wrong clock
        {"window": "A02", "ticket": "T2", "action": "start", "at_ms": now - 200_000},  # a repeat
        {"window": "A01", "ticket": "T1", "action": "start"},         # T1 after its end: another citizen?
    ]
    r = _batch(api, it, lines)
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["created"], out["repeated"], out["refused"]) == (3, 1, 4)
    assert [x["status"] for x in out["sessions"]] == [
        "created", "created", "created", "refused", "refused", "refused", "repeated", "refused"]
    t1 = out["sessions"][1]
    assert (t1["started_ms"], t1["ended_ms"]) == (now - 600_000, now - 300_000)
    z99, t4, t5 = out["sessions"][3:6]
    assert z99["title"] == "未找到" and "Z99" in z99["detail"] and "窗口列表" in z99["fix"]
    assert "action=start" in t4["fix"] and "叫号系统的时钟" in t5["fix"]
    assert out["sessions"][7]["title"] == "与已保存的内容冲突" and "请用新的号" in out["sessions"][7]["fix"]
    assert publish.sent == []                  # late lines prompt nobody: the citizen has gone
    with api.session() as s:
        rows = sorted((x.ticket, x.started_ms, x.ended_ms) for x in s.exec(select(ServiceSession)))
    assert rows == [("T1", now - 600_000, now - 300_000), ("T2", now - 200_000, None)]
    # Sent again (the queue system never saw the answer): nothing changes, nothing is doubled;
    # T1's start with its own time is the same report again, not a new citizen.
    again = _batch(api, it, lines).json()
    assert (again["created"], again["repeated"], again["refused"]) == (0, 4, 4)
    with api.session() as s:
        assert len(list(s.exec(select(ServiceSession)))) == 2


def test_a_batch_line_for_another_window_is_refused_for_a_window_bound_caller(api: Api) -> None:
    """Staff (a window's queue terminal) report for their own window only; the rest still count."""
    staff = api.auth("staff")                  # staff of A01
    r = _batch(api, staff, [{"window": "A02", "ticket": "X1", "action": "start"},
                            {"window": "A01", "ticket": "X2", "action": "start"}])
    assert r.status_code == 200, r.text
    a02, a01 = r.json()["sessions"]
    assert a02["status"] == "refused" and a02["title"] == "无权操作" and "自己的窗口" in a02["detail"]
    assert a01["status"] == "created"


@pytest.mark.parametrize("lines", [[], [{"window": "A01", "ticket": "T", "action": "start"}] * 1001,
                                   [{"window": "A01", "ticket": "T", "action": "stop"}]])
def test_a_batch_empty_too_long_or_with_a_wrong_action_is_refused_whole(api: Api, lines) -> None:  # type: ignore[no-untyped-def]
    r = _batch(api, api.auth("it"), lines)
    assert r.status_code == 422 and r.json()["errors"][0]["where"].startswith("body.sessions")
    with api.session() as s:
        assert list(s.exec(select(ServiceSession))) == []


def test_a_ticket_recorded_by_another_request_meanwhile_is_a_repeat(api: Api) -> None:
    """Two requests for one new ticket race: the one that commits second reads again and
    reports a repeat (no error, one row), on both databases."""
    raced: list[str] = []

    def other_request_first(win: Window) -> None:
        if not raced:
            raced.append(win.number)
            with Session(api.engine) as other:
                first = Report("A01", "R1", "start", api.clock.now_ms() - 1_000)
                record_sessions(other, [first], clock=api.clock)

    with Session(api.engine) as s:
        done = record_sessions(s, [Report("A01", "R1", "start")], clock=api.clock, allow=other_request_first)
        row, t = done[0].row, api.clock.now_ms()
        assert (done[0].error, done[0].created, row and row.started_ms) == (None, False, t - 1_000)
    assert raced == ["A01"]
    with api.session() as s:
        assert [x.ticket for x in s.exec(select(ServiceSession))] == ["R1"]

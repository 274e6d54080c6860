"""The alerts' webhook (issue 16) against a local HTTP server: signed with HMAC-SHA256, retried
with backoff, and a webhook that is down or hanging delays nothing else (the watch goes on, the
alerts are on the pages, the outcome is recorded when it comes)."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import col, select

from host.goodbad.watch import GoodBadWatch
from host.goodbad.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, Outcome, Webhook
from host.models import Alert
from host.settings import BadSettings, from_env
from tests.goodbad.facts import press
from tests.scoring.world import MIN, World, always_on_window

SECRET = "s3cret-for-tests-only"
DAY = 86_400_000


class Receiver:
    """A local HTTP server: answers each POST with the next status of ``statuses`` (then 200);
    while ``hold`` is clear, requests wait (a hanging receiver)."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.hold = threading.Event()
        self.hold.set()
        self.arrived = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append(({k: v for k, v in self.headers.items()}, body))
                outer.arrived.set()
                outer.hold.wait(30)
                self.send_response(outer.statuses.pop(0) if outer.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(cond: object, timeout_s: float = 10.0) -> bool:
    ev = threading.Event()
    for _ in range(int(timeout_s / 0.02)):
        if callable(cond) and cond():
            return True
        ev.wait(0.02)
    return False


def test_signed_and_retried_until_accepted(receiver: Receiver) -> None:
    receiver.statuses = [500, 503]
    outcomes: list[Outcome] = []
    hook = Webhook(
        receiver.url, SECRET, lambda: 1_700_000_000_000, outcomes.append, backoff_s=(0.01, 0.01, 0.01)
    )
    hook.start()
    try:
        assert hook.submit({"id": 7, "kind": "burst", "text": "窗口 A01 集中出现不满意评价"})
        assert _wait(lambda: outcomes)
    finally:
        hook.stop()
    (o,) = outcomes
    assert (o.alert_id, o.ok, o.attempts) == (7, True, 3)
    headers, body = receiver.requests[-1]
    expected = hmac.new(SECRET.encode(), headers[TIMESTAMP_HEADER].encode() + b"." + body, hashlib.sha256)
    assert headers[SIGNATURE_HEADER] == "sha256=" + expected.hexdigest()
    assert json.loads(body)["text"] == "窗口 A01 集中出现不满意评价"


def test_gives_up_after_the_backoff_when_the_webhook_is_down() -> None:
    outcomes: list[Outcome] = []
    hook = Webhook(
        f"http://127.0.0.1:{_free_port()}/hook", SECRET, lambda: 0, outcomes.append, backoff_s=(0.01, 0.02)
    )
    hook.start()
    try:
        hook.submit({"id": 1})
        assert _wait(lambda: outcomes)
    finally:
        hook.stop()
    assert (outcomes[0].ok, outcomes[0].attempts) == (False, 3) and "Connection" in (outcomes[0].error or "")


def _press_burst(world: World, wid: int, start: int) -> int:
    first = None
    for i in range(4):
        e = press(world, "pad-A01", wid, start + i * MIN, rating="unsatisfied")
        first = first or e.id
    world.clock.set(start + 4 * MIN)
    assert first is not None
    return first


def test_a_hanging_webhook_delays_nothing_else(world: World, receiver: Receiver) -> None:
    """The receiver holds the first request; meanwhile the watch keeps raising alerts (on the pages),
    and the webhook delivers them all once the receiver answers, each outcome recorded."""
    now = world.clock.now_ms()
    wid = always_on_window(world, "A01", start=now - 2 * DAY, end=now + DAY)
    receiver.hold.clear()
    watch = GoodBadWatch(world.engine, world.clock, receiver.url, SECRET)
    assert watch.webhook is not None
    watch.webhook.backoff_s = (0.01,)
    watch.webhook.start()
    try:
        watch.run_once()  # the first look only notes where to start
        _press_burst(world, wid, now)
        assert [a.kind for a in watch.run_once()] == ["bad_review", "burst"]
        assert receiver.arrived.wait(10)  # the sender is stuck in the first POST ...
        _press_burst(world, wid, now + 60 * MIN)  # ... and the watch goes on regardless
        assert [a.kind for a in watch.run_once()] == ["bad_review", "burst"]
        with world.session() as s:
            unsent = s.exec(select(Alert).where(col(Alert.sent_ms).is_(None))).all()
            assert len(unsent) == 4  # on the pages, not sent yet
        receiver.hold.set()

        def all_sent() -> bool:
            with world.session() as s:
                return all(a.sent_ms is not None for a in s.exec(select(Alert)).all())

        assert _wait(all_sent)
    finally:
        watch.stop()
    assert len(receiver.requests) == 4
    kinds = [json.loads(b)["kind"] for _, b in receiver.requests]
    assert sorted(kinds) == ["bad_review", "bad_review", "burst", "burst"]


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"EVALPAD_ALERT_WEBHOOK_URL": "ftp://x/hook", "EVALPAD_ALERT_WEBHOOK_SECRET": SECRET}, "URL"),
        ({"EVALPAD_ALERT_WEBHOOK_URL": "https://alerts.example/hook"}, "SECRET"),
        (
            {
                "EVALPAD_ALERT_WEBHOOK_URL": "https://alerts.example/hook",
                "EVALPAD_ALERT_WEBHOOK_SECRET": "short",
            },
            "SECRET",
        ),
    ],
)
def test_webhook_settings_are_checked_at_start(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], named: str
) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(BadSettings) as err:
        from_env()
    assert f"EVALPAD_ALERT_WEBHOOK_{named}" in err.value.detail


def test_webhook_settings_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVALPAD_ALERT_WEBHOOK_URL", "https://alerts.example/hook")
    monkeypatch.setenv("EVALPAD_ALERT_WEBHOOK_SECRET", SECRET)
    s = from_env()
    assert (s.alert_webhook_url, s.alert_webhook_secret) == ("https://alerts.example/hook", SECRET)

"""The host as `evalpad serve` runs it (uvicorn with host.app.server_config) against what a
stranger on the network can send: a huge body, a body that never says its length, a spoofed
X-Forwarded-For from loopback. Raw sockets, so nothing in between helps."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from host.api.limits import MAX_BODY_BYTES, MAX_UPLOAD_BODY_BYTES
from host.app import server_config
from tests.web.conftest import free_port, wait_for
from tests.web.harness import Site

MB = 1024 * 1024
TIMEOUT_S = 10.0


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, int]]:
    site = Site(tmp_path_factory.mktemp("limits"))
    port = free_port()
    settings = site.app.state.settings.model_copy(update={"http_host": "127.0.0.1", "http_port": port})
    server = uvicorn.Server(server_config(site.app, settings, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, 15, "uvicorn")
    try:
        yield site, port
    finally:
        server.should_exit = True
        thread.join(10)
        site.engine.dispose()


def _request(port: int, head: str, body_parts: Iterator[bytes]) -> tuple[int, int, bytes]:
    """Send ``head`` then body parts until the server answers; (status, bytes of body sent, answer)."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S) as s:
        s.sendall(head.encode())
        s.setblocking(False)
        answer = b""
        for part in body_parts:
            try:
                answer += s.recv(65536)
            except BlockingIOError:
                pass
            if answer:
                break
            try:
                s.sendall(part)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                break
            sent += len(part)
        s.setblocking(True)
        deadline = time.monotonic() + TIMEOUT_S
        while not _complete(answer) and time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0
    return status, sent, answer


def _complete(answer: bytes) -> bool:
    """The whole answer is in: its head and as much body as its Content-Length says."""
    head, sep, body = answer.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return True


def _zeros(total: int, part: int = 64 * 1024) -> Iterator[bytes]:
    for _ in range(total // part):
        yield b"0" * part
        time.sleep(0.001)       # the server gets a word in between


def test_a_60_mb_anonymous_body_is_refused_before_it_is_read(served: tuple[Site, int]) -> None:
    _, port = served
    size = 60 * MB
    head = (f"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {size}\r\n\r\n")
    status, sent, answer = _request(port, head, _zeros(size))
    assert status == 413, answer[:300]
    assert sent < 8 * MB, sent                   # answered long before the body was all there
    assert b"application/problem+json" in answer


def test_a_body_without_a_length_is_cut_off_at_the_limit(served: tuple[Site, int]) -> None:
    _, port = served
    head = ("POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Transfer-Encoding: chunked\r\n\r\n")

    def chunks() -> Iterator[bytes]:
        for part in _zeros(60 * MB):
            yield f"{len(part):x}\r\n".encode() + part + b"\r\n"

    status, sent, answer = _request(port, head, chunks())
    assert status == 413, answer[:300]
    assert sent < MAX_BODY_BYTES + 8 * MB, sent
    assert "内容太大".encode() in answer


def test_uploads_have_their_own_larger_limit(served: tuple[Site, int]) -> None:
    site, port = served
    c = site.client()
    # A 3 MB body is past the general limit but within the upload's: it reaches the route.
    r = c.post("/api/v1/volume/import?filename=v.csv", content=b"x" * (3 * MB),
               headers={"Authorization": "Bearer ep_nobody"})
    assert r.status_code == 401     # the route itself answered (the token is wrong), not the limit
    head = (f"POST /api/v1/volume/import?filename=v.csv HTTP/1.1\r\nHost: x\r\n"
            f"Content-Length: {MAX_UPLOAD_BODY_BYTES + 1}\r\n\r\n")
    status, _, _ = _request(port, head, _zeros(MAX_UPLOAD_BODY_BYTES + MB))
    assert status == 413


def test_loopback_is_no_trusted_proxy_by_default(served: tuple[Site, int]) -> None:
    """uvicorn itself must not believe X-Forwarded-For from 127.0.0.1 (its default does)."""
    _, port = served
    codes = []
    for i in range(8):
        body = b'{"name": "tech", "password": "wrong-password-x"}'
        head = (f"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"X-Forwarded-For: 203.0.113.{i}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n")
        codes.append(_request(port, head, iter([body]))[0])
    assert codes == [401] * 5 + [429] * 3, codes


def test_the_server_still_answers_after_all_that(served: tuple[Site, int]) -> None:
    _, port = served
    head = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    assert _request(port, head, iter([b""]))[0] == 200

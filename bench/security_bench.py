"""The host against the attacks of issue 11, measured from outside, on a real uvicorn server in its
own process (SQLite): what each costs the host and what the attacker gets back.

1. 40 wrong passwords on POST /api/v1/auth/login from one address, then the right one.
2. A 500 000-row .xlsx (a few hundred KB) to the volume import (preview): time, answer size,
   the server's memory, and /healthz answered meanwhile.
3. An anonymous 60 MB body to /api/v1/auth/login: when the answer comes, how much was sent,
   the server's memory.
Not a test: numbers only.

    .venv/bin/python bench/security_bench.py
"""

from __future__ import annotations

import multiprocessing as mp
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support import bombs

PASSWORD = "bench-password-1234"
MB = 1024 * 1024


def _serve(data_dir: str, port: int, token_file: str) -> None:
    import uvicorn
    from sqlmodel import Session

    from host import app as api_app
    from host.auth.users import create_user, issue_token
    from host.clock import SystemClock
    from host.db import make_engine, upgrade
    from host.settings import Settings

    url = f"sqlite:///{data_dir}/evalpad.db"
    upgrade(url)
    engine = make_engine(url)
    clock = SystemClock()
    settings = Settings(data_dir=Path(data_dir), database_url=url, http_port=port)  # type: ignore[call-arg]
    with Session(engine) as s:
        user = create_user(s, name="mgmt", role="management", password=PASSWORD, clock=clock, actor="bench")
        Path(token_file).write_text(issue_token(s, user, clock=clock, name="bench", ttl_ms=3600_000))
        s.commit()
    app = api_app.create_app(settings, engine, clock, lambda *a, **k: None)
    config = api_app.server_config(app, settings, log_level="warning")
    uvicorn.Server(config).run()


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class PeakRss:
    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, _rss_mb(pid), threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, _rss_mb(self.pid))

    def stop(self) -> float:
        self._stop.set()
        self._t.join()
        return self.peak


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _import(url: str, token: str, pid: int, label: str, data: bytes) -> None:
    peak = PeakRss(pid)
    before = _rss_mb(pid)
    result: dict[str, object] = {}

    def upload() -> None:
        t = time.monotonic()
        r = httpx.post(url + "/api/v1/volume/import", params={"filename": "bomb.xlsx", "preview": True},
                       content=data, headers={"Authorization": f"Bearer {token}"}, timeout=300)
        result.update(status=r.status_code, took=time.monotonic() - t, size=len(r.content),
                      detail=str(r.json().get("detail", ""))[:60] if r.status_code != 200 else "")

    worker = threading.Thread(target=upload)
    worker.start()
    lat = []
    with httpx.Client(timeout=300) as c:
        while worker.is_alive():
            t = time.monotonic()
            c.get(url + "/healthz")
            lat.append(time.monotonic() - t)
            time.sleep(0.02)
    worker.join()
    print(f"{label} ({len(data) // 1024} KB) preview: {result['status']} in {result['took']:.2f} s, "
          f"answer {result['size']} bytes, server RSS +{peak.stop() - before:.0f} MB; "
          f"/healthz x{len(lat)} meanwhile: median {statistics.median(lat) * 1000:.0f} ms, "
          f"max {max(lat) * 1000:.0f} ms {result['detail']}")


def main() -> None:
    tmp = tempfile.mkdtemp(prefix="evalpad-sec-bench-")
    port = _free_port()
    token_file = f"{tmp}/token"
    proc = mp.get_context("spawn").Process(target=_serve, args=(tmp, port, token_file), daemon=True)
    proc.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    token = Path(token_file).read_text()
    assert proc.pid is not None
    print(f"server pid {proc.pid}, RSS at rest {_rss_mb(proc.pid):.0f} MB")

    # 1. brute force
    with httpx.Client(base_url=url, timeout=60) as c:
        t0 = time.monotonic()
        guesses = [{"name": "mgmt", "password": f"guess-{i:04d}x"} for i in range(40)]
        codes = [c.post("/api/v1/auth/login", json=g).status_code for g in guesses]
        took = time.monotonic() - t0
        right = c.post("/api/v1/auth/login", json={"name": "mgmt", "password": PASSWORD})
    print(f"40 wrong passwords: {took:.1f} s, {codes.count(401)} x 401, {codes.count(429)} x 429; "
          f"then the right password: {right.status_code} (Retry-After {right.headers.get('retry-after')})")

    # 2. the 500k-row bomb, then the heaviest file the limits still read, with /healthz meanwhile
    for label, data in (("500k-row xlsx", bombs.many_rows_xlsx(500_000)),
                        ("widest accepted xlsx (9 999 rows x 33 cells)", bombs.widest_allowed_xlsx(9_999))):
        _import(url, token, proc.pid, label, data)

    # 3. 60 MB anonymous body
    peak = PeakRss(proc.pid)
    before = _rss_mb(proc.pid)
    size, sent = 60 * MB, 0
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=120) as s:
        s.sendall(f"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  f"Content-Length: {size}\r\n\r\n".encode())
        s.setblocking(False)
        answer = b""
        chunk = b"0" * 65536
        while sent < size:
            try:
                answer += s.recv(65536)
            except BlockingIOError:
                pass
            if answer:
                break
            try:
                sent += s.send(chunk)
            except BlockingIOError:
                time.sleep(0.001)
            except (BrokenPipeError, ConnectionResetError):
                break
        s.setblocking(True)
        while b"\r\n\r\n" not in answer:
            more = s.recv(65536)
            if not more:
                break
            answer += more
    status = answer.split(b" ", 2)[1].decode() if answer else "none"
    print(f"60 MB anonymous body: {status} after {time.monotonic() - t0:.2f} s, {sent / MB:.1f} MB sent, "
          f"server RSS +{peak.stop() - before:.0f} MB")
    proc.terminate()
    proc.join(10)


if __name__ == "__main__":
    main()

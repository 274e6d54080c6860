"""Bombs on every upload: a volume file (业务受理量) of 500 000 rows packed into a few hundred KB, one
that unpacks to 100 MB, a CSV of 350 000 rows, and a file of thousands of bad rows. Each is refused
with a Chinese message and stores nothing; the error list stays short; and the host keeps answering
/healthz while it reads the heaviest file it accepts (a real uvicorn server, raw timings).

The upload routes are found in the app (routes with a file parameter or the upload body limit).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi import UploadFile
from sqlmodel import Session, func, select

from host.api.limits import MAX_UPLOAD_BODY_BYTES
from host.app import server_config
from host.auth.users import get_user, issue_token
from host.models.volume import VolumeImport
from host.volume.limits import MAX_ERRORS_SHOWN, MAX_ROWS
from tests.support import bombs
from tests.support.routes import AppRoute, app_routes
from tests.web.conftest import free_port, wait_for
from tests.web.harness import Site, csrf_of

BOMBS = {
    "500k-rows.xlsx": lambda: bombs.many_rows_xlsx(500_000),
    "unpacks-100mb.xlsx": lambda: bombs.unpacks_huge_xlsx(100),
    "350k-rows.csv": lambda: bombs.many_rows_csv(350_000),
}


def upload_routes(site: Site) -> list[AppRoute]:
    out = []
    for r in app_routes(site.app):
        if r.api is None or "POST" not in r.methods:
            continue
        takes_file = any(p.field_info.annotation is UploadFile or "UploadFile" in str(p.field_info.annotation)
                         for p in r.api.dependant.body_params)
        big = getattr(r.api, "max_body_size", None) == MAX_UPLOAD_BODY_BYTES
        assert takes_file <= big, f"{r.path} takes a file but has no upload body limit"
        if big:
            out.append(r)
    return out


def post_file(site: Site, route: AppRoute, name: str, data: bytes, preview: bool = False) -> httpx.Response:
    """Upload ``data`` as a person (page form) or a client (API: the body is the file) would."""
    assert route.api is not None
    if route.api.dependant.body_params:            # a form with a file field: the page
        c = site.login("mgmt")
        form = {"csrf": csrf_of(c, route.path)} | ({"preview": "1"} if preview else {})
        return c.post(route.path, data=form, files={"file": (name, data, "application/octet-stream")})
    c = site.client()
    with Session(site.engine) as s:
        token = issue_token(s, get_user(s, "mgmt"), clock=site.clock, name="t", ttl_ms=3600_000)
        s.commit()
    return c.post(route.path, params={"filename": name, "preview": preview}, content=data,
                  headers={"Authorization": f"Bearer {token}"})


def _message(r: httpx.Response) -> str:
    return str(r.json()["detail"]) if r.headers["content-type"].endswith("json") else r.text


def _imports(site: Site) -> int:
    with Session(site.engine) as s:
        return int(s.exec(select(func.count()).select_from(VolumeImport)).one())


def test_the_app_has_upload_routes(app_site: Site) -> None:
    assert len(upload_routes(app_site)) >= 2     # the API import and the 管理科 page


@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_a_bomb_on_each_upload_is_refused_in_chinese_and_stores_nothing(app_site: Site, bomb: str) -> None:
    data = BOMBS[bomb]()
    for route in upload_routes(app_site):
        for preview in (True, False):
            started = time.monotonic()
            r = post_file(app_site, route, bomb, data, preview=preview)
            took = time.monotonic() - started
            assert r.status_code == 422, (route.path, bomb, r.status_code, r.text[:300])
            assert "拆分" in _message(r), (route.path, bomb, _message(r)[:300])
            assert len(r.content) < 200_000, (route.path, bomb, len(r.content))   # no 88 MB answer
            print(f"{bomb} -> {route.path} preview={preview}: {r.status_code} in {took:.2f} s, "
                  f"{len(r.content)} bytes")
    assert _imports(app_site) == 0


def test_the_error_list_is_capped_and_counted(app_site: Site) -> None:
    bad = ("窗口号,月份,业务受理量\n" + "".join(f"Z{i},2026-13,x\n" for i in range(3000))).encode()
    for route in upload_routes(app_site):
        r = post_file(app_site, route, "bad.csv", bad, preview=route.path.startswith("/api"))
        if r.headers["content-type"].endswith("json"):
            body = r.json()
            assert len(body["errors"]) == MAX_ERRORS_SHOWN, len(body["errors"])
            assert body.get("errors_total") == 6000, len(r.content)
        else:
            assert r.status_code == 422 and r.text.count("<tr><td class=\"num\">") <= MAX_ERRORS_SHOWN + 1
            assert "6000" in r.text and f"前 {MAX_ERRORS_SHOWN} 条" in r.text


@pytest.fixture
def served(app_site: Site) -> Iterator[tuple[Site, str]]:
    port = free_port()
    settings = app_site.app.state.settings.model_copy(update={"http_port": port})
    server = uvicorn.Server(server_config(app_site.app, settings, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, 15, "uvicorn")
    try:
        yield app_site, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def test_healthz_answers_while_the_heaviest_accepted_file_is_read(served: tuple[Site, str]) -> None:
    """Before: the import ran on the event loop and /healthz waited for it (15 s for the issue's bomb)."""
    site, url = served
    route = next(r for r in upload_routes(site) if r.path.startswith("/api"))
    # As many rows as the cap allows: the longest read, so that a whole-process pause (a
    # garbage collection of a few hundred ms) cannot hide the second half of it.
    data = bombs.widest_allowed_xlsx(MAX_ROWS)
    with Session(site.engine) as s:
        token = issue_token(s, get_user(s, "mgmt"), clock=site.clock, name="t", ttl_ms=3600_000)
        s.commit()
    result: dict[str, float | int] = {}

    def upload() -> None:
        result["start"] = time.monotonic()
        r = httpx.post(url + route.path, params={"filename": "wide.xlsx", "preview": True}, content=data,
                       headers={"Authorization": f"Bearer {token}"}, timeout=120)
        result["end"] = time.monotonic()
        result["status"] = r.status_code
        result["errors_total"] = r.json().get("errors_total", len(r.json().get("errors", [])))

    worker = threading.Thread(target=upload)
    worker.start()
    probes: list[tuple[float, float, int]] = []
    with httpx.Client(timeout=60) as c:
        while worker.is_alive():
            sent = time.monotonic()
            code = c.get(url + "/healthz").status_code
            probes.append((sent, time.monotonic(), code))
            time.sleep(0.02)
    worker.join()
    start, end = float(result["start"]), float(result["end"])
    assert result["status"] == 200 and result["errors_total"] == MAX_ROWS - 1  # a preview: all repeats
    assert all(code == 200 for _, _, code in probes)
    late = [p for p in probes if (start + end) / 2 < p[1] < end]
    assert late, f"no /healthz answered in the second half of a {end - start:.2f} s import"
    during = [answered - sent for sent, answered, _ in probes if start < sent < end]
    print(f"import {end - start:.2f} s; {len(during)} /healthz during it, "
          f"slowest {max(during) * 1000:.0f} ms, median {sorted(during)[len(during) // 2] * 1000:.0f} ms")

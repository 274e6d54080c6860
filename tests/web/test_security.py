"""Sessions, CSRF, throttling and role guards of the web pages, through the real app (no browser)."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from host.auth.roles import Role
from host.auth.users import disable_user
from host.models.audit import AuditEntry
from host.web.core import check_routes, page
from host.web.security import COOKIE
from tests.web.harness import PASSWORD, Site, csrf_of, login_post


def test_the_session_cookie_is_http_only_lax_and_secure_in_production(app_site: Site) -> None:
    r = login_post(app_site.client(), name="mgmt", password=PASSWORD)
    cookies = r.headers.get_list("set-cookie")
    session = next(v for v in cookies if v.startswith(COOKIE + "="))
    assert "HttpOnly" in session and "SameSite=lax" in session
    assert all("Secure" in v for v in cookies), cookies   # production is the default mode
    assert r.headers["location"] == "/management"


def test_development_mode_drops_secure_for_plain_http_on_this_machine(tmp_path: Path) -> None:
    s = Site(tmp_path, mode="development")
    c = TestClient(s.app, base_url="http://127.0.0.1:8000", follow_redirects=False)
    r = login_post(c, name="mgmt", password=PASSWORD)
    assert r.status_code == 303 and not any("Secure" in v for v in r.headers.get_list("set-cookie"))
    assert c.get("/management").status_code == 200   # the demo works over plain http
    s.engine.dispose()


def test_the_session_cookie_is_an_opaque_id_the_api_refuses(app_site: Site) -> None:
    """The cookie is no API token, nor does it carry one: the API answers 401 to all of it."""
    c = app_site.login("boss")
    cookie = c.cookies[COOKIE]
    decoded = b"".join(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
                       for part in cookie.split(".") if re.fullmatch(r"[A-Za-z0-9_-]+", part))
    candidates = {cookie, *re.findall(r"ep_[A-Za-z0-9_-]+", decoded.decode("latin-1"))}
    for candidate in candidates:
        r = c.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {candidate}"})
        assert r.status_code == 401, candidate
    assert c.get("/management").status_code == 200


def test_a_guessed_or_changed_cookie_is_no_session(app_site: Site) -> None:
    c = app_site.login("mgmt")
    good = c.cookies[COOKIE]
    for forged in (good[:-2] + ("AA" if not good.endswith("AA") else "BB"), "ep_guess", "x" * 4000):
        c.cookies.set(COOKIE, forged)
        r = c.get("/management")
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), forged[:20]


def test_signed_in_pages_are_never_cached(app_site: Site) -> None:
    c = app_site.login("mgmt")
    for path in ("/management", "/board", "/management/export/report.csv?month=2026-10"):
        r = c.get(path)
        assert r.status_code == 200, path
        assert r.headers["cache-control"] == "no-store", path
    assert "no-store" not in app_site.client().get("/static/app.css").headers.get("cache-control", "")


def test_a_banner_never_shows_text_from_the_url(app_site: Site) -> None:
    c = app_site.login("guard")
    bait = "您的账号已过期，请致电 400-000-0000"
    for q in ("err", "ok", "message", "msg"):
        assert bait not in c.get("/board", params={q: bait}).text, q
    # The host's own messages still show once, after the action that caused them.
    r = c.post("/board/notes", data={"window": "A01", "note": " ", "csrf": csrf_of(c)})
    assert r.status_code == 303 and "err" not in r.headers["location"] and "?" not in r.headers["location"]
    page = c.get(r.headers["location"]).text
    assert "巡查记录不能为空" in page
    assert "巡查记录不能为空" not in c.get("/board").text   # once


def test_logout_and_disabling_end_the_session_at_once(app_site: Site) -> None:
    site = app_site
    c = site.login("mgmt")
    cookie = c.cookies[COOKIE]
    assert c.post("/logout", data={"csrf": csrf_of(c)}).status_code == 303
    replay = site.client()
    replay.cookies.set(COOKIE, cookie)
    assert replay.get("/management").status_code == 303  # the token was revoked
    c2 = site.login("guard")
    with Session(site.engine) as s:
        disable_user(s, "guard", clock=site.clock, actor="boss", reason="left")
        s.commit()
    assert c2.get("/board").status_code == 303


def test_every_post_needs_the_sessions_csrf_token(app_site: Site) -> None:
    site = app_site
    guard, mgmt = site.login("guard"), site.login("mgmt")
    assert guard.post("/board/notes", data={"window": "A01", "note": "x"}).status_code == 403
    # a token from another session does not do either
    stolen = csrf_of(mgmt)
    assert guard.post("/board/notes", data={"window": "A01", "note": "x", "csrf": stolen}).status_code == 403
    ok = guard.post("/board/notes", data={"window": "A01", "note": "正常", "csrf": csrf_of(guard)})
    assert ok.status_code == 303
    ok = guard.post(
        "/board/notes", data={"window": "A01", "note": "头部令牌"}, headers={"X-CSRF-Token": csrf_of(guard)}
    )
    assert ok.status_code == 303
    with Session(site.engine) as s:
        notes = s.exec(select(AuditEntry).where(AuditEntry.action == "patrol.note")).all()
    assert [n.reason for n in notes] == ["正常", "头部令牌"]


def test_roles_and_windows_are_enforced(app_site: Site) -> None:
    site = app_site
    clerk = site.login("clerk")
    assert clerk.get("/windows/A01").status_code == 200
    assert clerk.get("/windows/A02").status_code == 403
    for path in ("/management", "/management/export/report.xlsx", "/it/faults", "/config"):
        assert clerk.get(path).status_code == 403, path
    r = clerk.post("/windows/A02/commands", data={"kind": "pause", "csrf": csrf_of(clerk)})
    assert r.status_code == 403
    r = clerk.post("/board/notes", data={"window": "A01", "note": "x", "csrf": csrf_of(clerk)})
    assert r.status_code == 403  # notes are the patrol's
    guard = site.login("guard")
    assert guard.get("/windows/A02").status_code == 200  # the patrol reads every window
    assert "操作评价器" not in guard.get("/windows/A02").text  # ... and acts on none


def test_login_never_redirects_off_site(app_site: Site) -> None:
    site = app_site
    c = site.client()
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        r = login_post(c, **{"name": "mgmt", "password": PASSWORD, "next": target})
        assert r.headers["location"] == "/management", target
    r = login_post(c, **{"name": "mgmt", "password": PASSWORD, "next": "/management/volume"})
    assert r.headers["location"] == "/management/volume"


def test_a_page_without_a_guard_stops_the_start() -> None:
    router = APIRouter()

    @router.get("/open")
    def open_page() -> str:
        return "x"

    @router.post("/no-csrf")
    def no_csrf(v: object = Depends(page(Role.ADMIN))) -> str:
        return "x"

    with pytest.raises(RuntimeError, match=r"GET /open.*POST /no-csrf|POST /no-csrf.*GET /open"):
        check_routes([router])


def test_pages_forbid_foreign_scripts_and_framing(app_site: Site) -> None:
    c = app_site.login("mgmt")
    r = c.get("/management")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in c.get("/healthz").headers


def test_the_board_stream_sends_snapshots_and_ends_so_shutdown_never_waits(
    app_site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from host.web import board

    monkeypatch.setattr(board, "STREAM_S", 1.0)
    monkeypatch.setattr(board, "POLL_S", 0.2)
    guard = app_site.login("guard")
    with guard.stream("GET", "/board/stream") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        body = "".join(r.iter_text())  # returns: the stream ended by itself
    assert body.startswith("retry: ")
    events = [line for line in body.splitlines() if line.startswith("data: ")]
    assert len(events) == 1  # nothing changed: one snapshot only
    assert '"number": "A01"' in events[0] and '"state": "offline"' in events[0]
    anonymous = app_site.client()
    assert anonymous.get("/board/stream").status_code == 303


def test_board_snapshots_are_shared_between_screens(app_site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    from host.web import board

    calls: list[int | None] = []
    real = board.snapshot

    def counting(session: Any, clock: Any, scope: int | None = None) -> Any:
        calls.append(scope)
        return real(session, clock, scope)

    monkeypatch.setattr(board, "snapshot", counting)
    shared = board.SharedSnapshots(max_age_s=60)
    first = shared.get(app_site.engine, app_site.clock, None)
    assert shared.get(app_site.engine, app_site.clock, None) == first  # a second screen: no query
    shared.get(app_site.engine, app_site.clock, 1)  # a staff member's own window
    assert calls == [None, 1]
    assert '"A02"' in first
    stale = board.SharedSnapshots(max_age_s=0)
    stale.get(app_site.engine, app_site.clock, None)
    stale.get(app_site.engine, app_site.clock, None)
    assert calls == [None, 1, None, None]


def test_the_login_form_needs_its_own_token(app_site: Site) -> None:
    c = app_site.client()
    r = c.post("/login", data={"name": "mgmt", "password": PASSWORD})  # no form, no token
    assert r.status_code == 403 and COOKIE not in r.cookies
    c.get("/login")
    r = c.post("/login", data={"name": "mgmt", "password": PASSWORD, "csrf": "forged"})
    assert r.status_code == 403 and "安全令牌" in r.text
    assert login_post(c, name="mgmt", password=PASSWORD).status_code == 303

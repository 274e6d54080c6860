"""Sessions, CSRF, throttling and role guards of the web pages, through the real app (no browser)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from host import fleet
from host.api.app import create_app
from host.auth.roles import Role
from host.auth.users import create_user, disable_user
from host.clock import ManualClock
from host.db import make_engine, upgrade
from host.models.audit import AuditEntry
from host.settings import Settings
from host.web.core import check_routes, page
from host.web.security import COOKIE, CookieJar, LoginThrottle

T0 = 1_795_600_000_000
PASSWORD = "一二三四五六七八九十-pw"


class Site:
    def __init__(self, tmp: Path, http_host: str = "127.0.0.1") -> None:
        url = f"sqlite:///{tmp / 'evalpad.db'}"
        upgrade(url)
        self.engine = make_engine(url)
        self.clock = ManualClock(T0)
        settings = Settings(data_dir=tmp, database_url=url, http_host=http_host)  # type: ignore[call-arg]
        self.app = create_app(settings, self.engine, self.clock, lambda *a, **k: None)
        with Session(self.engine) as s:
            for number in ("A01", "A02"):
                fleet.add_window(s, number=number, name=f"窗口{number}", clock=self.clock, actor="t")
            for name, role, win in (("boss", "admin", None), ("mgmt", "management", None),
                                    ("guard", "patrol", None), ("clerk", "staff", "A01")):
                create_user(s, name=name, role=role, password=PASSWORD, clock=self.clock, actor="t",
                            window_number=win)
            s.commit()

    def client(self) -> TestClient:
        return TestClient(self.app, follow_redirects=False)

    def login(self, name: str, password: str = PASSWORD) -> TestClient:
        c = self.client()
        r = c.post("/login", data={"name": name, "password": password})
        assert r.status_code == 303, r.text
        return c


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    s = Site(tmp_path)
    yield s
    s.engine.dispose()


def csrf_of(c: TestClient, path: str = "/board") -> str:
    html = c.get(path).text
    return html.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]


def test_the_session_cookie_is_signed_http_only_and_lax(site: Site) -> None:
    r = site.client().post("/login", data={"name": "mgmt", "password": PASSWORD})
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie                   # loopback http: configurable, off by default
    assert r.headers["location"] == "/management"


def test_secure_cookies_when_served_beyond_loopback(tmp_path: Path) -> None:
    s = Site(tmp_path, http_host="0.0.0.0")
    r = s.client().post("/login", data={"name": "mgmt", "password": PASSWORD})
    assert "Secure" in r.headers["set-cookie"]
    s.engine.dispose()


def test_a_tampered_cookie_is_no_session(site: Site) -> None:
    c = site.login("mgmt")
    good = c.cookies[COOKIE]
    c.cookies.set(COOKIE, good[:-2] + ("AA" if not good.endswith("AA") else "BB"))
    r = c.get("/management")
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    forged = CookieJar(b"k" * 32, False).dump("ep_guess")          # signed with another key
    c.cookies.set(COOKIE, forged)
    assert c.get("/management").status_code == 303


def test_logout_and_disabling_end_the_session_at_once(site: Site) -> None:
    c = site.login("mgmt")
    cookie = c.cookies[COOKIE]
    assert c.post("/logout", data={"csrf": csrf_of(c)}).status_code == 303
    replay = site.client()
    replay.cookies.set(COOKIE, cookie)
    assert replay.get("/management").status_code == 303           # the token was revoked
    c2 = site.login("guard")
    with Session(site.engine) as s:
        disable_user(s, "guard", clock=site.clock, actor="boss", reason="left")
        s.commit()
    assert c2.get("/board").status_code == 303


def test_every_post_needs_the_sessions_csrf_token(site: Site) -> None:
    guard, mgmt = site.login("guard"), site.login("mgmt")
    assert guard.post("/board/notes", data={"window": "A01", "note": "x"}).status_code == 403
    # a token from another session does not do either
    assert guard.post("/board/notes", data={"window": "A01", "note": "x", "csrf": csrf_of(mgmt)}).status_code == 403
    ok = guard.post("/board/notes", data={"window": "A01", "note": "正常", "csrf": csrf_of(guard)})
    assert ok.status_code == 303
    ok = guard.post("/board/notes", data={"window": "A01", "note": "头部令牌"},
                    headers={"X-CSRF-Token": csrf_of(guard)})
    assert ok.status_code == 303
    with Session(site.engine) as s:
        notes = s.exec(select(AuditEntry).where(AuditEntry.action == "patrol.note")).all()
    assert [n.reason for n in notes] == ["正常", "头部令牌"]


def test_roles_and_windows_are_enforced(site: Site) -> None:
    clerk = site.login("clerk")
    assert clerk.get("/windows/A01").status_code == 200
    assert clerk.get("/windows/A02").status_code == 403
    for path in ("/management", "/management/export/report.xlsx", "/it/faults", "/config"):
        assert clerk.get(path).status_code == 403, path
    r = clerk.post("/windows/A02/commands", data={"kind": "pause", "csrf": csrf_of(clerk)})
    assert r.status_code == 403
    r = clerk.post("/board/notes", data={"window": "A01", "note": "x", "csrf": csrf_of(clerk)})
    assert r.status_code == 403                                    # notes are the patrol's
    guard = site.login("guard")
    assert guard.get("/windows/A02").status_code == 200            # the patrol reads every window
    assert "操作评价器" not in guard.get("/windows/A02").text       # ... and acts on none


def test_login_never_redirects_off_site(site: Site) -> None:
    c = site.client()
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        r = c.post("/login", data={"name": "mgmt", "password": PASSWORD, "next": target})
        assert r.headers["location"] == "/management", target
    r = c.post("/login", data={"name": "mgmt", "password": PASSWORD, "next": "/management/volume"})
    assert r.headers["location"] == "/management/volume"


def test_throttle_per_name_and_per_address() -> None:
    t = LoginThrottle(max_failures=3, max_address_failures=5, window_ms=1000)
    for i in range(3):
        assert t.wait_ms(("name:a", "addr:x"), i) == 0
        t.failed(("name:a", "addr:x"), i)
    assert t.wait_ms(("name:a", "addr:x"), 10) == 1000 - 10
    assert t.wait_ms(("name:b", "addr:x"), 10) == 0               # others from the same address
    t.failed(("name:b", "addr:x"), 20)
    t.failed(("name:c", "addr:x"), 30)
    assert t.wait_ms(("name:d", "addr:x"), 40) == 1000 - 40 + 0    # the address is now over its limit
    assert t.wait_ms(("name:a", "addr:y"), 1001) == 0              # the window slides


def test_a_page_without_a_guard_stops_the_start() -> None:
    router = APIRouter()

    @router.get("/open")
    def open_page() -> str:
        return "x"

    @router.post("/no-csrf")
    def no_csrf(v: object = Depends(page(Role.ADMIN))) -> str:
        return "x"

    with pytest.raises(RuntimeError, match="GET /open.*POST /no-csrf|POST /no-csrf.*GET /open"):
        check_routes([router])

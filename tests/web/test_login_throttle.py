"""Brute force on every way to sign in: one throttle, kept in the database, keyed on the account and
the client address, with growing delays (never a lock someone else can trigger).

The sign-in paths are found in the app itself (its public POST routes), not listed by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.params import Form
from fastapi.testclient import TestClient

from host.api.deps import PUBLIC_PATHS
from host.app import create_app
from host.web.core import PUBLIC_PAGES
from tests.support.routes import AppRoute, app_routes
from tests.web.harness import PASSWORD, Site

WRONG = "not-the-password-0"
TRIES = 40  # the attack: 40 wrong passwords


def login_paths(app: Any) -> list[AppRoute]:
    """Every public POST route of the app: the ways to exchange a password for a session or token."""
    public = PUBLIC_PATHS | {path for method, path in PUBLIC_PAGES if method == "POST"}
    return [r for r in app_routes(app) if "POST" in r.methods and r.path in public]


def _is_form(route: AppRoute) -> bool:
    assert route.api is not None
    return any(isinstance(p.field_info, Form) for p in route.api.dependant.body_params)


def attempt(client: TestClient, route: AppRoute, name: str, password: str) -> int:
    """One sign-in as a browser or API client would send it to ``route``; the status code."""
    if _is_form(route):
        html = client.get(route.path).text
        token = html.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        r = client.post(route.path, data={"name": name, "password": password, "csrf": token})
        return 200 if r.status_code == 303 else r.status_code
    return client.post(route.path, json={"name": name, "password": password}).status_code


def from_address(site: Site, address: str) -> TestClient:
    return site.client(address)


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[Site]:
    s = Site(tmp_path, url=None if db_url.startswith("sqlite") else db_url)
    yield s
    s.engine.dispose()


def test_the_app_has_two_sign_in_paths(app_site: Site) -> None:
    assert sorted(r.path for r in login_paths(app_site.app)) == ["/api/v1/auth/login", "/login"]


def test_brute_force_on_each_sign_in_path_is_slowed_and_the_right_password_waits_too(site: Site) -> None:
    for i, route in enumerate(login_paths(site.app)):
        c = from_address(site, f"192.0.2.{i + 1}")
        codes = [attempt(c, route, "mgmt", WRONG) for _ in range(TRIES)]
        assert codes[:5] == [401] * 5, (route.path, codes)
        assert set(codes[5:]) == {429}, (route.path, codes)       # never a wrong-password answer again
        assert attempt(c, route, "mgmt", PASSWORD) == 429, route.path  # a guess is not even checked
        site.clock.advance(16 * 60_000)                           # the longest wait has passed
        assert attempt(c, route, "mgmt", PASSWORD) == 200, route.path


def test_one_throttle_for_every_path(app_site: Site) -> None:
    """Failures on the web form count on the API and the other way round (one account, one address)."""
    web, api = sorted(login_paths(app_site.app), key=lambda r: r.path != "/login")
    c = from_address(app_site, "192.0.2.7")
    assert [attempt(c, web, "tech", WRONG) for _ in range(5)] == [401] * 5
    assert attempt(c, api, "tech", WRONG) == 429


def test_delays_grow_and_are_capped_never_a_lock(app_site: Site) -> None:
    site = app_site
    route = next(r for r in login_paths(site.app) if r.path.startswith("/api"))
    c = from_address(site, "192.0.2.9")
    for _ in range(5):
        assert attempt(c, route, "guard", WRONG) == 401
    waits = []
    for _ in range(14):
        r = c.post(route.path, json={"name": "guard", "password": WRONG})
        assert r.status_code == 429 and r.headers["content-type"] == "application/problem+json"
        wait_s = int(r.headers["retry-after"])
        waits.append(wait_s)
        site.clock.advance(wait_s * 1000)
        assert attempt(c, route, "guard", WRONG) == 401   # after the wait: one more try
    assert waits == sorted(waits) and waits[0] <= 2 and waits[-1] <= 15 * 60, waits
    assert len(set(waits)) > 5, waits                     # they grow ...
    assert waits[-1] == waits[-2], waits                  # ... up to a cap
    site.clock.advance(waits[-1] * 1000)
    assert attempt(c, route, "guard", PASSWORD) == 200    # the owner gets in after the wait


def test_one_person_behind_the_proxy_does_not_lock_out_the_hall(app_site: Site) -> None:
    """Everyone shares the proxy's address (no trusted_proxies): one account's failures slow that
    account from that address, not the others."""
    route = next(r for r in login_paths(app_site.app) if r.path == "/login")
    hall = from_address(app_site, "192.0.2.20")
    for _ in range(TRIES):
        attempt(hall, route, "clerk", WRONG)
    for name in ("mgmt", "tech", "guard", "boss"):
        assert attempt(from_address(app_site, "192.0.2.20"), route, name, PASSWORD) == 200, name


def test_forwarded_for_counts_only_from_a_trusted_proxy(app_site: Site, tmp_path: Path) -> None:
    """Loopback is not trusted by default: a spoofed X-Forwarded-For does not give fresh tries."""
    route = next(r for r in login_paths(app_site.app) if r.path.startswith("/api"))
    c = from_address(app_site, "127.0.0.1")
    codes = [c.post(route.path, json={"name": "boss", "password": WRONG},
                    headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(10)]
    assert codes == [401] * 5 + [429] * 5, codes
    # With the proxy trusted, the header names the client: each client has its own tries.
    settings = app_site.app.state.settings.model_copy(update={"trusted_proxies": ["127.0.0.1"]})
    app = create_app(settings, app_site.engine, app_site.clock, lambda *a, **k: None)
    proxied = TestClient(app, base_url="https://testserver", client=("127.0.0.1", 50000))
    codes = [proxied.post(route.path, json={"name": "tech", "password": WRONG},
                          headers={"X-Forwarded-For": f"198.51.100.7, 203.0.113.{i}"}).status_code
             for i in range(10)]
    assert codes == [401] * 10, codes


def test_the_throttle_is_shared_by_host_instances(site: Site) -> None:
    """Two host instances on one database: failures on one slow the other (SQLite and PostgreSQL)."""
    other = create_app(site.app.state.settings, site.engine, site.clock, lambda *a, **k: None)
    route = next(r for r in login_paths(site.app) if r.path.startswith("/api"))
    one = from_address(site, "192.0.2.30")
    two = TestClient(other, base_url="https://testserver", client=("192.0.2.30", 50000))
    for _ in range(5):
        assert attempt(one, route, "boss", WRONG) == 401
    assert two.post(route.path, json={"name": "boss", "password": PASSWORD}).status_code == 429

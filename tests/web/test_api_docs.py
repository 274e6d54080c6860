"""The API reference (/docs, /openapi.json) is behind a sign-in and served from the host itself."""

from __future__ import annotations

import re

from sqlmodel import Session

from host.auth.users import get_user, issue_token
from tests.web.harness import Site


def test_the_api_reference_needs_a_sign_in(app_site: Site) -> None:
    anonymous = app_site.client()
    assert anonymous.get("/openapi.json").status_code == 401
    r = anonymous.get("/docs")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert anonymous.get("/redoc").status_code == 404            # one reference, not two


def test_the_api_reference_is_served_by_the_host_alone(app_site: Site) -> None:
    c = app_site.login("tech")
    page = c.get("/docs")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    assert not re.search(r"<script>(?!</script>)", page.text)   # no inline script
    for asset in assets:
        r = c.get(asset)
        assert r.status_code == 200 and len(r.content) > 100, asset
    spec = c.get("/openapi.json")
    assert spec.status_code == 200 and "/api/v1/auth/login" in spec.json()["paths"]


def test_a_machine_reads_openapi_with_its_token(app_site: Site) -> None:
    with Session(app_site.engine) as s:
        token = issue_token(s, get_user(s, "tech"), clock=app_site.clock, name="t", ttl_ms=60_000)
        s.commit()
    r = app_site.client().get("/openapi.json", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json()["info"]["title"]

"""Every route of the app × every role × every method, and every form without or with a wrong CSRF
token. The routes, their roles and their forms are read from the app (its guards), not a hand list;
tests/api/test_roles.py holds the API's routes to the intended matrix, named after host.auth.policy."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlmodel import Session, func, select

from host.api.deps import PUBLIC_PATHS
from host.auth.roles import Role
from host.auth.users import get_user, issue_token
from host.models.audit import AuditEntry
from host.web.core import PUBLIC_PAGES
from tests.support.routes import AppRoute, app_routes, guard_roles
from tests.web.harness import Site, csrf_of

USER_OF = {Role.ADMIN: "boss", Role.MANAGEMENT: "mgmt", Role.IT: "tech", Role.PATROL: "guard",
           Role.STAFF: "clerk"}
# Path parameters: things that exist (staff "clerk" sits at A01); a user no one minds disabling.
PARAMS = {"number": "A01", "device_id": "pad-a01", "name": "nobody", "what": "report", "fmt": "csv",
          "decision": "confirm", "step": "ack", "command_id": "c-000000000000", "month": "2026-10",
          "period": "2026-Q4", "year": "2026"}
OTHER_METHODS = ("PUT", "PATCH", "DELETE")


def _url(r: AppRoute) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PARAMS.get(m.group(1), "1"), r.path)


def _api(r: AppRoute) -> bool:
    return r.path.startswith(("/api/", "/metrics", "/openapi.json"))


def _public(r: AppRoute, method: str) -> bool:
    return r.path in PUBLIC_PATHS or (method, r.path) in PUBLIC_PAGES or guard_roles(r) is None


def _tokens(site: Site) -> dict[Role, str]:
    with Session(site.engine) as s:
        out = {role: issue_token(s, get_user(s, name), clock=site.clock, name="t", ttl_ms=86_400_000)
               for role, name in USER_OF.items()}
        s.commit()
    return out


def _call(c: Any, r: AppRoute, method: str, bearer: str | None) -> httpx.Response:
    url = _url(r)
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    if method == "GET":
        with c.stream("GET", url, headers=headers) as resp:     # /board/stream: the head is enough
            return resp
    if _api(r):
        return c.request(method, url, headers=headers, json=[])   # never a valid body: changes nothing
    return c.request(method, url, data={"csrf": csrf_of(c)} if bearer is None and c.cookies else {})


# Reachable without a guard: signing in, the probe, and the vendored scripts (host.web.VENDOR).
OPEN = {"/static/vendor/{name}"}


def test_every_route_role_and_method(app_site: Site) -> None:
    routes = [r for r in app_routes(app_site.app) if not r.path.startswith("/static")]
    assert len(routes) > 100
    unguarded = {r.path for r in app_routes(app_site.app) if guard_roles(r) is None}
    public = PUBLIC_PATHS | {path for _, path in PUBLIC_PAGES} | OPEN
    assert unguarded <= public, f"routes nobody guards: {sorted(unguarded - public)}"
    tokens = _tokens(app_site)
    people = {role: app_site.login(name) for role, name in USER_OF.items()}
    anonymous = app_site.client()
    wrong: list[str] = []
    checked = 0
    # Logging out ends the session, so it goes last.
    for r in sorted(routes, key=lambda r: r.path.endswith("/logout")):
        for method in sorted(r.methods):
            if _public(r, method):
                continue
            allowed = guard_roles(r) or frozenset()
            resp = _call(anonymous, r, method, None)
            expect_anon = {401} if (_api(r) or method != "GET") else {303}
            if resp.status_code not in expect_anon:
                wrong.append(f"anonymous {method} {r.path} -> {resp.status_code}")
            for role in Role:
                api = _api(r)
                c = app_site.client() if api else people[role]
                resp = _call(c, r, method, tokens[role] if api else None)
                checked += 1
                ok = resp.status_code not in (401, 403)
                if ok != (role in allowed) or resp.status_code == 500:
                    wrong.append(f"{role.value} {method} {r.path} -> {resp.status_code} "
                                 f"(allowed: {sorted(x.value for x in allowed)})")
        for method in OTHER_METHODS:
            if method not in r.methods:
                resp = people[Role.ADMIN].request(method, _url(r))
                if resp.status_code != 405:
                    wrong.append(f"admin {method} {r.path} -> {resp.status_code} (not a method of it)")
    assert checked > 400, checked
    assert not wrong, "\n".join(wrong)


def _audit_rows(site: Site) -> int:
    with Session(site.engine) as s:
        return int(s.exec(select(func.count()).select_from(AuditEntry)).one())


def test_every_form_without_or_with_a_wrong_csrf_token_is_refused(app_site: Site) -> None:
    forms = [r for r in app_routes(app_site.app) if "POST" in r.methods and not _api(r)]
    assert len(forms) >= 15
    people = {role: app_site.login(name) for role, name in USER_OF.items()}
    foreign = csrf_of(app_site.login("boss"))               # a real token, of another session
    before = _audit_rows(app_site)
    wrong = []
    for r in forms:
        allowed = sorted(guard_roles(r) or Role, key=list(Role).index)
        c = people[allowed[0]] if (guard_roles(r) is not None) else app_site.client()
        for form in ({}, {"csrf": "0" * 64}, {"csrf": foreign}):
            resp = c.post(_url(r), data={**form, "reason": "理由", "note": "x", "name": "boss",
                                         "password": "一二三四五六七八九十-pw"})
            if resp.status_code != 403:
                wrong.append(f"{r.path} {sorted(form)} -> {resp.status_code}")
    assert not wrong, "\n".join(wrong)
    assert _audit_rows(app_site) == before                  # nothing was changed

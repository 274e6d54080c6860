"""Every bad month, date, period or id in a URL is refused: 422 with a problem (API) or a page in
Chinese, never a 500 and never a quiet fallback to this month. The parameters are read from the
app's routes (path and query), not listed by hand."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from host.api.deps import route_roles
from host.auth.roles import Role
from host.auth.users import get_user, issue_token
from host.web.core import GUARD_ATTR
from tests.support.routes import AppRoute, app_routes
from tests.web.harness import Site, csrf_of

USER_OF = {Role.ADMIN: "boss", Role.MANAGEMENT: "mgmt", Role.IT: "tech", Role.PATROL: "guard",
           Role.STAFF: "clerk"}
GOOD = {"number": "A01", "device_id": "pad-a01", "name": "mgmt", "what": "report", "fmt": "csv",
        "decision": "confirm", "step": "ack", "command_id": "c-000000000000", "month": "2026-10",
        "period": "2026-Q4", "year": "2026"}
BAD_TEXT = {
    "month": ("2026-13", "../../x", "2026-1", "26-10", "2026-00", "２０２６-１０"),
    "period": ("2026-Q5", "../x", "20x6"),
    "year": ("20x6", "99999", "-1"),
    "day": ("2026-02-30", "x"),
    "date": ("2026-02-30", "x"),
}
BAD_INT = ("x", "99999999999999999999", "1e3")


def _roles(r: AppRoute) -> frozenset[Role]:
    assert r.api is not None
    roles = route_roles(r.api)
    if roles is not None:
        return roles
    stack: list[Any] = [r.api.dependant]
    while stack:
        dep = stack.pop()
        found = getattr(dep.call, GUARD_ATTR, None)
        if found is not None:
            return found  # type: ignore[no-any-return]
        stack.extend(dep.dependencies)
    return frozenset()


def _cases(site: Site) -> list[tuple[str, AppRoute, str, str, str]]:
    """(method, route, where, parameter, bad value) for every month/date/period/year/id parameter."""
    cases = []
    for r in app_routes(site.app):
        if r.api is None or not _roles(r):
            continue
        params = [("path", p) for p in r.api.dependant.path_params] + \
                 [("query", p) for p in r.api.dependant.query_params]
        for where, p in params:
            kind = str(p.field_info.annotation)
            values: tuple[str, ...] = ()
            if p.name in BAD_TEXT:
                values = BAD_TEXT[p.name]
            elif "int" in kind and "str" not in kind and (p.name.endswith("id") or p.name.endswith("_ms")
                                                          or where == "path"):
                values = BAD_INT
            for method in sorted(r.methods):
                cases += [(method, r, where, p.name, v) for v in values]
    return cases


def _url(r: AppRoute, where: str, name: str, value: str) -> tuple[str, dict[str, str]]:
    def fill(m: re.Match[str]) -> str:
        return value if (where == "path" and m.group(1) == name) else GOOD.get(m.group(1), "1")

    path = re.sub(r"\{(\w+)\}", fill, r.path)
    return path, ({name: value} if where == "query" else {})


def test_bad_parameters_are_refused_everywhere(app_site: Site) -> None:
    cases = _cases(app_site)
    assert len({(c[1].path, c[3]) for c in cases}) >= 30, len(cases)   # the app has many such parameters
    clients: dict[Role, Any] = {}
    wrong = []
    for method, r, where, name, value in cases:
        role = sorted(_roles(r), key=list(Role).index)[0]
        if role not in clients:
            clients[role] = app_site.login(USER_OF[role], raise_server_exceptions=False)
        c = clients[role]
        path, query = _url(r, where, name, value)
        api = path.startswith(("/api/", "/metrics"))
        bearer = {"Authorization": "Bearer " + _token(app_site, c)} if api else {}
        if method == "GET":
            resp = c.get(path, params=query, headers=bearer)
        elif api:
            resp = c.post(path, params=query, json={}, headers=bearer)
        else:
            resp = c.post(path, params=query, data={"csrf": csrf_of(c), "reason": "理由", "month": "2026-10"})
        if not _refused(resp, api):
            wrong.append(f"{method} {path} {query or ''} -> {resp.status_code}")
    assert not wrong, "\n".join(wrong)


def _refused(resp: httpx.Response, api: bool) -> bool:
    """422 (or 404: no such fault, or "../" leading off every route), explained to its reader."""
    if resp.status_code not in (404, 422):
        return False
    if api:
        return resp.headers["content-type"] == "application/problem+json"
    return bool(re.search(r"[\u4e00-\u9fff]", resp.text)) and "<html" in resp.text


_TOKENS: dict[int, str] = {}


def _token(site: Site, c: Any) -> str:
    """A bearer token of the same user as the signed-in client ``c`` (the API takes no cookies)."""
    if id(c) not in _TOKENS:
        with Session(site.engine) as s:
            _TOKENS[id(c)] = issue_token(s, get_user(s, _user_of(c)), clock=site.clock, name="t",
                                         ttl_ms=3600_000)
            s.commit()
    return _TOKENS[id(c)]


def _user_of(c: Any) -> str:
    html = c.get("/board").text
    return html.split('class="who">', 1)[1].split("（", 1)[0].strip()


@pytest.mark.parametrize("url", ["/management?month=2026-13", "/management/export/report.csv?month=../../x",
                                 "/management/violations?month=x"])
def test_pages_say_what_is_wrong_in_chinese(app_site: Site, url: str) -> None:
    r = app_site.login("mgmt").get(url)
    assert r.status_code == 422 and "月份" in r.text and "2026-10" in r.text, r.text[:500]

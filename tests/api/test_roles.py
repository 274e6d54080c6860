"""Every route refuses without a token, with a wrong role, and staff of another window.

The table below is the intended permission matrix, each row named after host.auth.policy (the
one table the API and the pages read): the routes come from the app itself, so a route that is
not in the table, or a row whose route is gone, fails ``test_every_route_is_in_the_matrix``.
"""

from __future__ import annotations

import re

import pytest

from host.auth import policy
from tests.api.conftest import ROLES, Api, build_api
from tests.support.routes import app_routes


def _roles(row: tuple) -> frozenset[str]:  # type: ignore[type-arg]
    return frozenset(r.value for r in row)


ALL = _roles(policy.EVERYONE)
ADMIN = _roles(policy.USERS)
FLEET = _roles(policy.FLEET)
WINDOW_EDIT = _roles(policy.WINDOWS_EDIT)
REVIEW = _roles(policy.REVIEW)
SCORES = _roles(policy.MONTH_SCORES)
DESK = _roles(policy.DESK)                  # not patrol
OPERATOR = _roles(policy.PAD_COMMANDS)
OVERSIGHT = _roles(policy.OVERSIGHT)
REPORTER = _roles(policy.REPORT_VIOLATION)
RECTIFY = _roles(policy.RECTIFY)
ALERTS = _roles(policy.ALERTS)
ALL_SCORES = _roles(policy.MONTH_SCORES_ALL_WINDOWS)

V1 = "/api/v1"
MATRIX: dict[tuple[str, str], frozenset[str]] = {
    ("GET", f"{V1}/auth/me"): ALL,
    ("GET", f"{V1}/users"): ADMIN,
    ("POST", f"{V1}/users"): ADMIN,
    ("POST", f"{V1}/users/{{name}}/tokens"): ADMIN,
    ("GET", f"{V1}/users/{{name}}/tokens"): ADMIN,
    ("POST", f"{V1}/users/{{name}}/tokens/{{token_id}}/revoke"): ADMIN,
    ("POST", f"{V1}/users/{{name}}/disable"): ADMIN,
    ("POST", f"{V1}/auth/logout"): ALL,
    ("GET", f"{V1}/windows"): ALL,
    ("POST", f"{V1}/windows"): WINDOW_EDIT,
    ("GET", f"{V1}/windows/{{number}}"): ALL,
    ("POST", f"{V1}/windows/{{number}}/retire"): WINDOW_EDIT,
    ("GET", f"{V1}/windows/{{number}}/sessions"): DESK,
    ("POST", f"{V1}/windows/{{number}}/sessions"): DESK,
    ("POST", f"{V1}/sessions"): DESK,
    ("GET", f"{V1}/devices"): ALL,
    ("POST", f"{V1}/devices"): FLEET,
    ("GET", f"{V1}/devices/{{device_id}}"): ALL,
    ("POST", f"{V1}/devices/{{device_id}}/assign"): FLEET,
    ("POST", f"{V1}/devices/{{device_id}}/unassign"): FLEET,
    ("POST", f"{V1}/devices/{{device_id}}/retire"): FLEET,
    ("POST", f"{V1}/devices/{{device_id}}/password"): FLEET,
    ("GET", f"{V1}/devices/{{device_id}}/commands"): OPERATOR,
    ("POST", f"{V1}/devices/{{device_id}}/commands"): OPERATOR,
    ("GET", f"{V1}/commands/{{command_id}}"): OPERATOR,
    ("GET", f"{V1}/assignments"): DESK,
    ("GET", f"{V1}/assignments/corrections"): FLEET,
    ("POST", f"{V1}/assignments/corrections"): FLEET,
    ("GET", f"{V1}/events"): DESK,
    ("GET", f"{V1}/status"): ALL,
    ("GET", f"{V1}/status/{{device_id}}"): ALL,
    ("GET", f"{V1}/rejected"): FLEET,
    ("GET", f"{V1}/rejected/conflicts"): FLEET,
    ("POST", f"{V1}/rejected/replay"): FLEET,
    ("GET", "/metrics"): FLEET,
    ("GET", f"{V1}/audit"): OVERSIGHT,
    # R6 review, R7 fault log, R3 volume, R8 waivers
    ("GET", f"{V1}/violations"): SCORES,
    ("GET", f"{V1}/violations/{{candidate_id}}"): SCORES,
    ("GET", f"{V1}/violations/export"): REVIEW,
    ("POST", f"{V1}/violations/detect"): REVIEW,
    ("POST", f"{V1}/violations/report"): REPORTER,
    ("POST", f"{V1}/violations/{{candidate_id}}/confirm"): REVIEW,
    ("POST", f"{V1}/violations/{{candidate_id}}/dismiss"): REVIEW,
    ("GET", f"{V1}/faults"): ALL,
    ("POST", f"{V1}/faults"): ALL,
    ("GET", f"{V1}/faults/{{fault_id}}"): ALL,
    ("GET", f"{V1}/faults/summary"): OVERSIGHT,
    ("GET", f"{V1}/faults/export"): OVERSIGHT,
    ("POST", f"{V1}/faults/sync"): FLEET,
    ("POST", f"{V1}/faults/{{fault_id}}/ack"): FLEET,
    ("POST", f"{V1}/faults/{{fault_id}}/resolve"): FLEET,
    ("POST", f"{V1}/faults/{{fault_id}}/reclassify"): FLEET,
    ("GET", f"{V1}/volume"): SCORES,
    ("POST", f"{V1}/volume/import"): REVIEW,
    ("GET", f"{V1}/waivers"): SCORES,
    ("POST", f"{V1}/waivers"): REVIEW,
    ("POST", f"{V1}/waivers/{{waiver_id}}/revoke"): REVIEW,
    # R2-R11 scores: patrol and IT score no one
    ("GET", f"{V1}/reports/months/{{month}}"): SCORES,
    ("GET", f"{V1}/reports/months/{{month}}/windows/{{number}}"): SCORES,
    ("GET", f"{V1}/reports/months/{{month}}/history"): SCORES,
    ("POST", f"{V1}/reports/months/{{month}}/close"): REVIEW,
    ("POST", f"{V1}/reports/months/{{month}}/reopen"): REVIEW,
    ("GET", f"{V1}/reports/periods/{{period}}"): SCORES,
    ("GET", f"{V1}/reports/config/{{year}}"): ALL,
    # 好差评 (issue 16): bad-review cases, national rates, live alerts, the platform export
    ("GET", f"{V1}/badreviews"): SCORES,
    ("GET", f"{V1}/badreviews/{{case_id}}"): SCORES,
    ("POST", f"{V1}/badreviews/{{case_id}}/callback"): REVIEW,
    ("POST", f"{V1}/badreviews/{{case_id}}/rectify"): RECTIFY,
    ("POST", f"{V1}/badreviews/{{case_id}}/evidence"): RECTIFY,
    ("POST", f"{V1}/badreviews/{{case_id}}/close"): REVIEW,
    ("GET", f"{V1}/badreviews/stats/{{month}}"): SCORES,
    ("GET", f"{V1}/alerts"): ALERTS,
    ("POST", f"{V1}/alerts/{{alert_id}}/ack"): REVIEW,
    ("GET", f"{V1}/exports/platform"): ALL_SCORES,
}
PUBLIC = {("POST", f"{V1}/auth/login"), ("GET", "/healthz"), ("GET", "/ota/{version}/{path:path}")}


class _Params(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return "1"  # ids of things that need not exist: a refusal comes before the lookup


PARAMS = {
    "token_id": "1",
    "name": "staff",
    "number": "A01",
    "device_id": "pad-a01",
    "command_id": "c-000000000000",
    "month": "2026-10",
    "period": "2026-Q4",
    "year": "2026",
    "path": "manifest.json",
}


def _operations(api: Api) -> set[tuple[str, str]]:
    """Every operation of the app the tests built, read from its routes."""
    return {(m, r.path) for r in app_routes(api.client.app) for m in r.methods}


def _api_operations(api: Api) -> set[tuple[str, str]]:
    """The API's operations (the pages have their own matrix: tests/web/test_route_matrix.py)."""
    return {(m, p) for m, p in _operations(api) if p.startswith(("/api/", "/metrics", "/healthz", "/ota/"))}


def _call(api: Api, method: str, path: str, headers: dict[str, str], body: object = None):  # type: ignore[no-untyped-def]
    url = path.format_map(_Params(PARAMS))
    if method == "GET":
        return api.client.get(url, headers=headers)
    # A JSON array is never a valid body here: a route that lets the caller in answers 422
    # and changes nothing, so the checks below cannot disturb each other.
    return api.client.post(url, headers=headers, json=[] if body is None else body)


def test_every_route_is_in_the_matrix(sqlite_api: Api) -> None:
    assert _api_operations(sqlite_api) == set(MATRIX) | PUBLIC


def test_every_route_refuses_without_a_valid_token(sqlite_api: Api) -> None:
    """All of the app's routes, including those other issues mount, except sign-in and /healthz."""
    api = sqlite_api
    guarded = _api_operations(api) - PUBLIC
    assert len(guarded) >= len(MATRIX)
    for method, path in sorted(guarded):
        for headers in ({}, {"Authorization": "Bearer ep_not-a-real-token"}, {"Authorization": "Basic eDp5"}):
            r = _call(api, method, path, headers)
            assert r.status_code == 401, (method, path, headers, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            assert r.headers["www-authenticate"] == "Bearer"
            problem = r.json()
            assert problem["status"] == 401 and problem["detail"] and problem["fix"], problem


def test_every_route_admits_exactly_its_roles(sqlite_api: Api) -> None:
    api = sqlite_api
    # Logging out revokes the caller's token, so it goes last.
    for (method, path), allowed in sorted(MATRIX.items(), key=lambda kv: kv[0][1].endswith("/logout")):
        for role in ROLES:
            r = _call(api, method, path, api.auth(role))
            if role in allowed:
                assert r.status_code not in (401, 403), (role, method, path, r.text)
            else:
                assert r.status_code == 403, (role, method, path, r.text)
                assert "不能使用这个接口" in r.json()["detail"]


def test_revoked_and_expired_tokens_are_refused(sqlite_api: Api) -> None:
    from host.auth.users import get_user, issue_token, revoke_token

    api = sqlite_api
    with api.session() as s:
        short = issue_token(s, get_user(s, "it"), clock=api.clock, name="short", ttl_ms=60_000)
        revoked = issue_token(s, get_user(s, "it"), clock=api.clock, name="gone", ttl_ms=None)
        s.commit()
        assert revoke_token(s, revoked, api.clock)
        s.commit()
    assert api.client.get(f"{V1}/devices", headers={"Authorization": f"Bearer {short}"}).status_code == 200
    assert api.client.get(f"{V1}/devices", headers={"Authorization": f"Bearer {revoked}"}).status_code == 401
    api.clock.advance(60_000)
    assert api.client.get(f"{V1}/devices", headers={"Authorization": f"Bearer {short}"}).status_code == 401


def test_staff_of_one_window_cannot_act_on_another(sqlite_api: Api, publish) -> None:  # type: ignore[no-untyped-def]
    api = sqlite_api
    mine, other = api.auth("staff2"), api.auth("staff")  # staff2 sits at A02, staff at A01
    r = api.client.post(f"{V1}/devices/pad-a01/commands", headers=other, json={"type": "prompt", "svc": "T1"})
    assert r.status_code == 201, r.text
    foreign_cmd = r.json()["id"]
    refused = [
        ("GET", f"{V1}/windows/A01", None),
        ("GET", f"{V1}/events?window=A01", None),
        ("GET", f"{V1}/assignments?window=A01", None),
        ("GET", f"{V1}/devices/pad-a01", None),
        ("GET", f"{V1}/status/pad-a01", None),
        ("GET", f"{V1}/devices/pad-a01/commands", None),
        ("GET", f"{V1}/commands/{foreign_cmd}", None),
        ("POST", f"{V1}/devices/pad-a01/commands", {"type": "prompt", "svc": "T2"}),
        ("POST", f"{V1}/devices/pad-a01/commands", {"type": "pause"}),
        ("GET", f"{V1}/windows/A01/sessions", None),
        ("POST", f"{V1}/windows/A01/sessions", {"ticket": "T3", "action": "start", "prompt": True}),
    ]
    sent_before = len(publish.sent)
    for method, url, body in refused:
        r = (
            api.client.get(url, headers=mine)
            if method == "GET"
            else api.client.post(url, headers=mine, json=body)
        )
        assert r.status_code == 403, (method, url, r.text)
        assert "自己的窗口" in r.json()["detail"]
    assert len(publish.sent) == sent_before, "a refused request published a command"
    # Their lists show their own window only.
    assert [w["number"] for w in api.client.get(f"{V1}/windows", headers=mine).json()] == ["A02"]
    assert [d["id"] for d in api.client.get(f"{V1}/devices", headers=mine).json()] == ["pad-a02"]
    # On their own pad they may do what its keys do, not what the IT section does.
    assert (
        api.client.post(
            f"{V1}/devices/pad-a02/commands", headers=mine, json={"type": "pause", "reason": "break"}
        ).status_code
        == 201
    )
    r = api.client.post(f"{V1}/devices/pad-a02/commands", headers=mine, json={"type": "reboot"})
    assert r.status_code == 403 and "窗口工作人员不能发送 'reboot' 指令" in r.json()["detail"]


def test_no_default_account_and_login_with_password(tmp_path, publish) -> None:  # type: ignore[no-untyped-def]
    gen = build_api(f"sqlite:///{tmp_path / 'e.db'}", tmp_path, publish)
    api = next(gen)
    try:
        for name, pw in (("admin", "admin"), ("admin", ""), ("root", "root"), ("admin", "password")):
            r = api.client.post(f"{V1}/auth/login", json={"name": name, "password": pw})
            assert r.status_code == 401, (name, r.text)  # the fixture's users are token-only
        r = api.client.post(
            f"{V1}/users",
            headers=api.auth("admin"),
            json={"name": "li.ming", "role": "management", "password": "short"},
        )
        assert r.status_code == 422 and "至少要 10 位" in r.json()["detail"]
        r = api.client.post(
            f"{V1}/users",
            headers=api.auth("admin"),
            json={
                "name": "li.ming",
                "role": "management",
                "password": "correct horse battery",
                "reason": "new head of section",
            },
        )
        assert r.status_code == 201, r.text
        assert "password" not in r.text and "hash" not in r.text
        assert (
            api.client.post(
                f"{V1}/auth/login", json={"name": "li.ming", "password": "wrong horse battery"}
            ).status_code
            == 401
        )
        r = api.client.post(f"{V1}/auth/login", json={"name": "li.ming", "password": "correct horse battery"})
        assert r.status_code == 200
        token = r.json()["token"]
        me = api.client.get(f"{V1}/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert me["name"] == "li.ming" and me["role"] == "management"
        api.clock.advance(12 * 3600_000)
        assert (
            api.client.get(f"{V1}/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        )
        # Staff must name a window, others must not.
        r = api.client.post(f"{V1}/users", headers=api.auth("admin"), json={"name": "wang", "role": "staff"})
        assert r.status_code == 422 and "window" in r.json()["fix"]
    finally:
        with pytest.raises(StopIteration):
            next(gen)


def test_admin_manages_tokens_and_disables_users(sqlite_api: Api) -> None:
    api = sqlite_api
    admin = api.auth("admin")
    made = api.client.post(
        f"{V1}/users/it/tokens",
        headers=admin,
        json={"name": "monitoring", "days": 30, "reason": "prometheus"},
    )
    assert made.status_code == 201 and made.json()["expires_ms"] == api.clock.now_ms() + 30 * 86_400_000
    machine = {"Authorization": f"Bearer {made.json()['token']}"}
    assert api.client.get("/metrics", headers=machine).status_code == 200
    listed = api.client.get(f"{V1}/users/it/tokens", headers=admin).json()
    assert [t["name"] for t in listed] == ["test", "monitoring"] and "token" not in listed[0]
    tid = listed[1]["id"]
    r = api.client.post(f"{V1}/users/it/tokens/{tid}/revoke", headers=admin, json={"reason": "leaked"})
    assert r.status_code == 200 and r.json()["revoked_ms"] == api.clock.now_ms()
    assert api.client.get("/metrics", headers=machine).status_code == 401
    assert (
        api.client.get("/metrics", headers=api.auth("it")).status_code == 200
    )  # the other token still works
    assert (
        api.client.post(f"{V1}/users/patrol/tokens/{tid}/revoke", headers=admin, json={}).status_code == 404
    )
    # Disabling a user ends every token of theirs at once.
    assert (
        api.client.post(f"{V1}/users/it/disable", headers=admin, json={"reason": "left"}).status_code == 200
    )
    assert api.client.get("/metrics", headers=api.auth("it")).status_code == 401
    assert api.client.post(f"{V1}/users/admin/disable", headers=admin, json={}).status_code == 409
    # Logging out revokes the token the request carries, nothing else.
    assert api.client.post(f"{V1}/auth/logout", headers=api.auth("patrol")).status_code == 204
    assert api.client.get(f"{V1}/auth/me", headers=api.auth("patrol")).status_code == 401
    assert api.client.get(f"{V1}/auth/me", headers=admin).status_code == 200


def test_the_frameworks_own_errors_are_said_in_chinese(api) -> None:  # type: ignore[no-untyped-def]
    """An unknown path, a wrong method and a bad field: problems whose title and fix are Chinese."""
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for r in (api.client.get(f"{V1}/no-such-thing"), api.client.delete(f"{V1}/auth/login"),
              api.client.post(f"{V1}/auth/login", json={"user": 1})):
        body = r.json()
        assert r.status_code in (404, 405, 422)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert cjk.search(body["title"]) and cjk.search(body["fix"]), body

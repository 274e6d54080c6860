"""Scoped, expiring API tokens: the queue system's token reaches the queue hook of its windows and
nothing else, a read token only reads, every token has an expiry and shows its scope (API and CLI),
and making one is audited. The routes are read from the app, not listed by hand."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from host.api.deps import PUBLIC_PATHS, route_roles
from host.auth.roles import Role
from host.auth.scopes import DEFAULT_DAYS
from host.cli import app as cli
from host.models.audit import AuditEntry
from tests.api.conftest import Api
from tests.support.routes import app_routes

DAY_MS = 86_400_000
V1 = "/api/v1"


def _token(api: Api, user: str, **body: object) -> dict[str, object]:
    r = api.client.post(f"{V1}/users/{user}/tokens", headers=api.auth("admin"), json={"name": "t", **body})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def _api_calls(api: Api) -> list[tuple[str, str, frozenset[Role]]]:
    """Every guarded API operation (method, concrete URL, roles), with A01's and pad-a01's ids."""
    params = {"number": "A01", "device_id": "pad-a01", "name": "it", "month": "2026-10", "period": "2026-Q4",
              "year": "2026"}
    out = []
    for r in app_routes(api.client.app):
        if r.api is None or r.path in PUBLIC_PATHS or not r.path.startswith(("/api/", "/metrics")):
            continue
        roles = route_roles(r.api)
        assert roles is not None, r.path
        url = re.sub(r"\{(\w+)\}", lambda m: params.get(m.group(1), "1"), r.path)
        out += [(m, url, roles) for m in sorted(r.methods)]
    return out


def _call(api: Api, method: str, url: str, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    if method == "GET":
        return api.client.get(url, headers=headers).status_code
    return api.client.request(method, url, headers=headers, json=[]).status_code


def test_tokens_expire_by_default_and_show_scope_and_expiry(api: Api) -> None:
    made = _token(api, "it")
    assert made["scope"] == "read" and made["expires_ms"] == api.clock.now_ms() + DEFAULT_DAYS * DAY_MS
    r = api.client.post(f"{V1}/users/it/tokens", headers=api.auth("admin"), json={"name": "x", "days": 4000})
    assert r.status_code == 422
    listed = api.client.get(f"{V1}/users/it/tokens", headers=api.auth("admin")).json()
    assert {"scope", "expires_ms", "windows"} <= set(listed[-1]) and listed[-1]["expires_ms"] is not None
    with api.session() as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "token.create")).one()
    assert entry.actor == "admin" and entry.detail["scope"] == "read" and entry.detail["expires_ms"]


def test_a_queue_token_reaches_only_the_queue_hook_of_its_windows(sqlite_api: Api) -> None:
    api = sqlite_api
    token = str(_token(api, "management", scope="queue", windows=["A01"], name="排队系统")["token"])
    hook = f"{V1}/windows/A01/sessions"
    allowed = 0
    for method, url, _roles in _api_calls(api):
        code = _call(api, method, url, token)
        if url in (hook, f"{V1}/sessions"):      # one session, or a batch of them
            allowed += 1
            assert code not in (401, 403), (method, url, code)
        else:
            assert code == 403, (method, url, code)   # closing months, waivers, commands: refused
    assert allowed == 3
    r = api.client.post(hook, headers={"Authorization": f"Bearer {token}"},
                        json={"ticket": "A0001", "action": "start", "prompt": True})
    assert r.status_code == 201 and r.json()["command"]["type"] == "prompt", r.text
    r = api.client.post(f"{V1}/windows/A02/sessions", headers={"Authorization": f"Bearer {token}"},
                        json={"ticket": "A0002", "action": "start"})
    assert r.status_code == 403 and "发放时指定的窗口" in r.json()["detail"]
    r = api.client.post(f"{V1}/sessions", headers={"Authorization": f"Bearer {token}"},
                        json={"sessions": [{"window": "A02", "ticket": "A0002", "action": "start"},
                                           {"window": "A01", "ticket": "A0003", "action": "start"}]})
    lines = [(x["status"], x["title"]) for x in r.json()["sessions"]]
    assert lines == [("refused", "无权操作"), ("created", None)]


def test_a_read_token_only_reads(sqlite_api: Api) -> None:
    api = sqlite_api
    token = str(_token(api, "admin", scope="read")["token"])
    for method, url, _roles in _api_calls(api):
        code = _call(api, method, url, token)
        if method == "GET":
            assert code not in (401, 403), (method, url, code)
        else:
            assert code == 403, (method, url, code)


@pytest.mark.parametrize("body", [{"scope": "queue"}, {"scope": "read", "windows": ["A01"]},
                                  {"scope": "queue", "windows": ["Z99"]}, {"scope": "web"}])
def test_a_token_with_a_wrong_scope_is_refused(sqlite_api: Api, body: dict[str, object]) -> None:
    r = sqlite_api.client.post(f"{V1}/users/it/tokens", headers=sqlite_api.auth("admin"),
                               json={"name": "x", **body})
    assert r.status_code in (404, 422), r.text


def test_cli_token_create_has_scope_and_expiry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for var in ("EVALPAD_DATABASE_URL", "EVALPAD_MQTT_URL"):
        monkeypatch.delenv(var, raising=False)
    env = {"EVALPAD_DATA_DIR": str(tmp_path)}
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli, list(args), env=env)
        assert result.exit_code == code, (args, result.output, result.exception)
        return result.output

    run("window", "add", "A01", "--name", "综合")
    run("user", "add", "queue", "--role", "it", "--token-only")
    out = run("token", "create", "--user", "queue", "--name", "排队系统", "--scope", "queue", "-w", "A01")
    assert "范围 queue" in out and "窗口 A01" in out and "到期" in out
    out = run("token", "create", "--user", "queue", "--name", "监控")
    assert "范围 read" in out and f"{DEFAULT_DAYS} 天后到期" in out
    listed = run("token", "list", "--user", "queue")
    assert re.search(r"排队系统\s+queue\s+A01\s+\S+ \S+ 创建\s+\S+ \S+ 到期", listed), listed
    assert "永不" not in listed
    out = run("token", "create", "--user", "queue", "--scope", "queue", code=1)
    assert "叫号系统令牌必须写明它管的窗口" in out

"""/healthz (public) and /metrics (Prometheus, admin or it token)."""

from __future__ import annotations

from prometheus_client import Counter

from tests.api.conftest import Api

PROBE = Counter("evalpad_test_probe", "a metric this test registers to find it in /metrics")


def test_healthz_reports_database_and_broker(sqlite_api: Api) -> None:
    api = sqlite_api
    r = api.client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok", "database": "ok", "broker": "unknown"}
    api.broker_connected = True
    assert api.client.get("/healthz").json()["broker"] == "connected"
    api.broker_connected = False
    r = api.client.get("/healthz")
    assert r.status_code == 503 and r.json() == {"status": "fail", "database": "ok", "broker": "disconnected"}


def test_healthz_fails_when_the_database_is_gone(tmp_path, publish) -> None:  # type: ignore[no-untyped-def]
    from tests.api.conftest import build_api

    gen = build_api(f"sqlite:///{tmp_path / 'h.db'}", tmp_path, publish)
    api = next(gen)
    try:
        api.engine.dispose()
        (tmp_path / "h.db").unlink()
        (tmp_path / "h.db").mkdir()  # the path now cannot be opened as a database
        r = api.client.get("/healthz")
        assert r.status_code == 503 and r.json()["database"] == "unreachable"
    finally:
        gen.close()


def test_metrics_needs_a_token_and_speaks_prometheus(sqlite_api: Api) -> None:
    api = sqlite_api
    PROBE.inc(3)
    assert api.client.get("/metrics").status_code == 401
    r = api.client.get("/metrics", headers=api.auth("it"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert "evalpad_test_probe_total 3.0" in r.text


def test_openapi_is_versioned_and_documents_bearer_auth(sqlite_api: Api) -> None:
    assert sqlite_api.client.get("/openapi.json").status_code == 401    # behind a sign-in (issue 11)
    spec = sqlite_api.client.get("/openapi.json", headers=sqlite_api.auth("it")).json()
    paths = [p for p in spec["paths"] if p not in ("/healthz", "/metrics")]
    assert paths and all(p.startswith("/api/v1/") for p in paths)
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert "UserCreate" in spec["components"]["schemas"] and "UserPublic" in spec["components"]["schemas"]


def test_a_bug_is_a_problem_document_not_a_stack_trace(sqlite_api: Api, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from host import fleet

    def broken(*a, **k):  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internals")

    monkeypatch.setattr(fleet, "list_windows", broken)
    client = TestClient(sqlite_api.client.app, raise_server_exceptions=False)
    r = client.get("/api/v1/windows", headers=sqlite_api.auth("admin"))
    assert r.status_code == 500 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"] == "主机处理这个请求时出错（RuntimeError）"
    assert "secret internals" not in r.text and "主机日志" in r.json()["fix"]

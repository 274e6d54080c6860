"""The host's HTTP application: ``create_app(settings, engine, clock, publish)`` mounts the REST
API (host.api), the release files for the pads (host.releases.web) and the pages (host.web).

Everything the app needs is passed in (no globals), so `evalpad serve` wires the ingest's
MQTT publish and the tests wire a real broker, a throwaway database and a manual clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp

from host.api import problems
from host.api.deps import check_every_route_guarded
from host.api.limits import MAX_BODY_BYTES
from host.api.routes import (
    assignments,
    audit,
    auth,
    commands,
    devices,
    events,
    faults,
    goodbad,
    ops,
    rejected,
    reports,
    sessions,
    status,
    users,
    violations,
    volume,
    waivers,
    windows,
)
from host.api.too_large import ExplainTooLarge
from host.clock import Clock
from host.commands import Publish
from host.releases import web as ota_web
from host.settings import Settings
from host.web import mount_web

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
# Every router under /api/v1, one per resource (host/api/routes/).
API_ROUTERS = (auth, users, windows, sessions, devices, commands, assignments, events, status, rejected,
               audit, violations, faults, volume, waivers, reports, goodbad)
BrokerStatus = Callable[[], bool | None]


class EvalpadAPI(FastAPI):
    """FastAPI with its bare 413 (body too large) explained (host.api.too_large)."""

    def build_middleware_stack(self) -> ASGIApp:
        return ExplainTooLarge(super().build_middleware_stack())


def server_config(app: FastAPI, settings: Settings, **kw: Any) -> uvicorn.Config:
    """How `evalpad serve` runs ``app`` (host.service).

    ``proxy_headers=False``: uvicorn would otherwise take X-Forwarded-For from loopback as the
    client's address; which proxies to believe is the app's decision (settings.trusted_proxies).
    """
    return uvicorn.Config(app, host=settings.http_host, port=settings.http_port, log_config=None,
                          proxy_headers=False, **kw)


def create_app(settings: Settings, engine: Engine, clock: Clock, publish: Publish,
               broker_status: BrokerStatus | None = None) -> FastAPI:
    """The API app. ``broker_status`` (optional) says whether the ingest's MQTT client is connected."""
    app = EvalpadAPI(title="evalpad host API", version="1",
                  description="Evaluation pads (评价器): fleet, events, live status, commands, and the "
                  "queue-system hook. Every route needs a bearer token except sign-in and /healthz. "
                  "Errors are RFC 9457 problem details with a `fix`.",
                  max_body_size=MAX_BODY_BYTES,
                  # The reference is served by the pages (host.web.api_docs), behind a sign-in.
                  docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.engine = engine
    app.state.clock = clock
    app.state.publish = publish
    app.state.broker_status = broker_status
    problems.install(app)
    mounted = [(API_PREFIX, m.router) for m in API_ROUTERS]
    mounted += [("", ops.router), ("", ota_web.router)]   # /healthz, /metrics; the pads' release files
    check_every_route_guarded(mounted)
    for prefix, router in mounted:
        app.include_router(router, prefix=prefix)
    mount_web(app)                                       # the Chinese pages (their own guards)
    return app

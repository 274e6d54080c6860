"""Build the FastAPI application: ``create_app(settings, engine, clock, publish)``.

Everything the API needs is passed in (no globals), so `evalpad serve` wires the ingest's
MQTT publish and the tests wire a real broker, a throwaway database and a manual clock.
"""

from __future__ import annotations

import importlib
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
    ops,
    rejected,
    sessions,
    status,
    users,
    windows,
)
from host.api.too_large import ExplainTooLarge
from host.clock import Clock
from host.commands import Publish
from host.releases import web as ota_web
from host.settings import Settings

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
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
    try:   # the ingest's metrics live in the default registry once imported
        importlib.import_module("host.metrics")
    except ImportError:
        log.info("host.metrics not present; /metrics shows the process metrics only")
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
    mounted = [(API_PREFIX, m.router) for m in (auth, users, windows, sessions, devices, commands,
                                                 assignments, events, status, rejected, audit)]
    mounted.append(("", ops.router))
    for name in ("violations", "faults", "volume", "waivers"):           # issue 5 review (R3, R6-R8)
        mounted.append((API_PREFIX, importlib.import_module(f"host.api.routes.{name}").router))
    mounted.append((API_PREFIX, importlib.import_module("host.api.routes.reports").router))  # issue 5 scoring
    mounted.append(("", ota_web.router))     # release files for the pads (public: PUBLIC_PATHS)
    check_every_route_guarded(mounted)
    for prefix, router in mounted:
        app.include_router(router, prefix=prefix)
    importlib.import_module("host.web").mount_web(app)     # issue 6: the Chinese web pages (own guards)
    return app

"""Operations: /healthz (public, for probes) and /metrics (Prometheus, token of admin or it)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from host.api.deps import MetricsReader
from host.api.schemas import Health
from host.metrics import REGISTRY  # defines the ingest's metrics in it

log = logging.getLogger(__name__)
router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, responses={503: {"model": Health}})
def healthz(request: Request) -> JSONResponse:
    """200 when the database answers and the broker is connected (or its state is not known)."""
    db = "ok"
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:   # any failure means "not healthy"; the reason goes to the log
        log.warning("healthz: database check failed: %s", exc)
        db = "unreachable"
    probe = request.app.state.broker_status
    connected = probe() if probe is not None else None
    broker = "unknown" if connected is None else ("connected" if connected else "disconnected")
    ok = db == "ok" and broker != "disconnected"
    body = Health(status="ok" if ok else "fail", database=db, broker=broker)  # type: ignore[arg-type]
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


@router.get("/metrics", response_class=Response)
def metrics(who: MetricsReader) -> Response:
    """Prometheus text format of this process's default registry (host.metrics defines them)."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

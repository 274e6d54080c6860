"""Errors as RFC 9457 problem details: what is wrong (``detail``) and how to fix it (``fix``)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from host.api import params
from host.errors import ServiceError

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:evalpad:problem:"

_HTTP_FIXES = {
    404: "check the path against the API reference at /docs (everything lives under /api/v1)",
    405: "check the HTTP method against the API reference at /docs",
}


def problem(status: int, kind: str, title: str, detail: str, fix: str, request: Request,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"type": TYPE_PREFIX + kind, "title": title, "status": status, "detail": detail,
            "fix": fix, "instance": request.url.path, **extra}
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer", **(headers or {})}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


# What a shared parameter's pattern means, said plainly (host.api.params).
_PATTERNS = {
    params.MONTH_PATTERN: "不是月份：请写成 YYYY-MM，如 2026-10",
    params.PERIOD_PATTERN: "不是时段：请写年份（2026）或季度（2026-Q4）",
}


def _problem(error: Any) -> str:
    pattern = str((error.get("ctx") or {}).get("pattern", ""))
    return _PATTERNS.get(pattern) or str(error.get("msg", ""))


def install(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service(request: Request, exc: ServiceError) -> JSONResponse:
        return problem(exc.status, exc.kind, exc.title, exc.detail, exc.fix, request,
                       headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"where": _where(e.get("loc", ())), "problem": _problem(e)} for e in exc.errors()]
        detail = "; ".join(f"{e['where']}: {e['problem']}" for e in errors[:5])
        return problem(422, "invalid", "Invalid request", detail,
                       "请改正 errors 中列出的字段；字段说明见 /docs", request,
                       errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers) if exc.headers else None
        return problem(exc.status_code, "http", str(exc.detail), str(exc.detail),
                       _HTTP_FIXES.get(exc.status_code, ""), request, headers=headers)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        # Two requests raced to create the same thing; the loser is told, nothing is half-written.
        log.info("integrity error on %s: %s", request.url.path, exc.orig)
        return problem(409, "conflict", "Conflicts with what is stored",
                       "the change conflicts with a row written at the same time",
                       "reload and try again", request)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        # A bug, not bad input: the trace goes to the log, the caller gets a problem, not HTML.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "internal", "Internal error",
                       f"the host failed on this request ({type(exc).__name__})",
                       "this is a bug in evalpad: report it with the time of the request; the host log "
                       "has the details", request)

    @app.exception_handler(OperationalError)
    async def _db_down(request: Request, exc: OperationalError) -> JSONResponse:
        log.error("database error on %s: %s", request.url.path, exc.orig)
        return problem(503, "unavailable", "Database unavailable", "the database did not answer",
                       "check /healthz and the database server; then retry", request)

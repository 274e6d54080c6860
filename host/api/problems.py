"""Errors as RFC 9457 problem details: what is wrong (``detail``) and how to fix it (``fix``)."""

from __future__ import annotations

import logging
from http import HTTPStatus
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

# Starlette's own errors (an unknown path, a wrong method) said in Chinese: (title, fix).
_HTTP = {
    404: ("没有这个地址", "请对照 /docs 的接口说明核对路径（接口都在 /api/v1 下）"),
    405: ("这个地址不支持该请求方法", "请对照 /docs 的接口说明核对请求方法（GET、POST 等）"),
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
        return problem(422, "invalid", "请求的字段有误", detail,
                       "请改正 errors 中列出的字段；字段说明见 /docs", request,
                       errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers) if exc.headers else None
        title, fix = _HTTP.get(exc.status_code, (str(exc.detail), ""))
        # Starlette's own phrase ("Not Found") is said by the title; a route's own detail is kept.
        detail = title if exc.detail == HTTPStatus(exc.status_code).phrase else str(exc.detail)
        return problem(exc.status_code, "http", title, detail, fix, request, headers=headers)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        # Two requests raced to create the same thing; the loser is told, nothing is half-written.
        log.info("integrity error on %s: %s", request.url.path, exc.orig)
        return problem(409, "conflict", "与已保存的内容冲突",
                       "同一时间另一个请求写入了同样的内容，本次修改未保存",
                       "请刷新后重试", request)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        # A bug, not bad input: the trace goes to the log, the caller gets a problem, not HTML.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "internal", "系统内部错误",
                       f"主机处理这个请求时出错（{type(exc).__name__}）",
                       "这是 evalpad 的缺陷：请把请求的时间报给信息技术科，主机日志里有详细记录", request)

    @app.exception_handler(OperationalError)
    async def _db_down(request: Request, exc: OperationalError) -> JSONResponse:
        log.error("database error on %s: %s", request.url.path, exc.orig)
        return problem(503, "unavailable", "数据库暂不可用", "数据库没有应答",
                       "请查看 /healthz 和数据库服务器，恢复后重试", request)

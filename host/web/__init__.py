"""The web pages (网页), in Simplified Chinese, served by the host next to the REST API.

``mount_web(app)`` adds the pages to the app ``host.app.create_app`` built: the hall board
(大厅看板), window pages, 管理科, 信息技术科 and 配置, with sessions, CSRF and login throttling
(host.web.security). Static files, including the chart library copied from npm
(node_modules/echarts, by ``./dev setup``), are served from /static; never a CDN.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from host.api import params
from host.errors import ServiceError
from host.web import (
    alerts_board,
    api_docs,
    auth_pages,
    board,
    config_pages,
    goodbad_config,
    it_pages,
    window_pages,
)
from host.web.core import (
    FLASH_HEADER,
    LoginRequired,
    PageForbidden,
    PasswordChangeRequired,
    WebState,
    back,
    check_routes,
    login_redirect,
    make_templates,
    render,
)
from host.web.management import charts, goodbad, report, violations, volume, waivers
from host.web.security import FLASH_COOKIE, FLASH_MAX_AGE_S, CookieJar, load_key

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
# Where ./dev setup copies the chart library; node_modules is the fallback for a fresh checkout.
NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
VENDOR = {
    "echarts.min.js": (STATIC / "vendor" / "echarts.min.js", NODE_MODULES / "echarts/dist/echarts.min.js"),
    # The API reference (host.web.api_docs): Swagger UI from npm's swagger-ui-dist.
    "swagger-ui-bundle.js": (STATIC / "vendor" / "swagger-ui-bundle.js",
                             NODE_MODULES / "swagger-ui-dist/swagger-ui-bundle.js"),
    "swagger-ui.css": (STATIC / "vendor" / "swagger-ui.css", NODE_MODULES / "swagger-ui-dist/swagger-ui.css"),
}
MEDIA = {".js": "text/javascript", ".css": "text/css"}


def mount_web(app: FastAPI) -> None:
    """Add the pages to ``app`` (its state holds settings, engine, clock and publish)."""
    settings = app.state.settings
    secure = settings.mode != "development"     # plain http only for the demo on this machine
    jar = CookieJar(load_key(settings.data_dir, settings.web_key), secure)
    app.state.web = WebState(jar=jar, templates=make_templates())

    @app.get("/static/vendor/{name}", include_in_schema=False)
    def vendor(name: str) -> Response:
        for path in VENDOR.get(name, ()):
            if path.is_file():
                return FileResponse(
                    path, media_type=MEDIA[path.suffix], headers={"Cache-Control": "public, max-age=86400"}
                )
        return Response(
            f"{name} is missing: run ./dev setup (it copies it from node_modules)",
            status_code=404,
            media_type="text/plain",
        )

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    routers = [m.router for m in (auth_pages, board, alerts_board, window_pages, report, violations, waivers,
                                  volume, charts, goodbad, it_pages, config_pages, goodbad_config, api_docs)]
    check_routes(routers)
    for router in routers:
        app.include_router(router)

    @app.exception_handler(LoginRequired)
    def _login(request: Request, exc: LoginRequired) -> Response:
        if request.method != "GET":
            return HTMLResponse("请先登录。", status_code=401)
        return login_redirect(request)

    @app.exception_handler(PasswordChangeRequired)
    def _new_password(request: Request, exc: PasswordChangeRequired) -> Response:
        return back("/account", err="管理员已重置您的密码：请先设置一个只有您知道的新密码，"
                                    "然后才能继续使用。")

    @app.exception_handler(PageForbidden)
    def _forbidden(request: Request, exc: PageForbidden) -> HTMLResponse:
        return render(request, "forbidden.html", None, status_code=403, message=exc.message)

    _html_errors_for_pages(app)

    @app.middleware("http")
    async def _page_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        path = request.url.path
        if not path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")   # nothing signed-in is cached
        if _is_page(path):
            for key, value in PAGE_HEADERS.items():
                response.headers.setdefault(key, value)
        flash = response.headers.get(FLASH_HEADER)
        if flash is not None:                                  # back(): sign it into a cookie
            del response.headers[FLASH_HEADER]
            kind, _, text = flash.partition(":")
            response.set_cookie(FLASH_COOKIE, jar.flash(kind, unquote(text)), max_age=FLASH_MAX_AGE_S,
                                httponly=True, secure=secure, samesite="lax", path="/")
        return response

    log.info("web pages mounted (secure cookies: %s)", secure)


def _html_errors_for_pages(app: FastAPI) -> None:
    """Errors on a page (not /api, /healthz or /metrics) render in Chinese, not as problem JSON."""
    for kind, message in (
        (ServiceError, None),
        (RequestValidationError, "表单内容不完整或格式有误，请检查后重试。"),
        (StarletteHTTPException, None),
        (IntegrityError, "与同时写入的记录冲突，未保存任何内容。请刷新页面后重试。"),
        (OperationalError, "数据库暂时无法访问，未保存任何内容。请稍后重试；若持续出现，请告知信息技术科。"),
        (Exception, "主机处理此页面时出错（程序缺陷），未保存任何内容。"
                    "请记下时间并告知信息技术科，主机日志中有详细记录。"),
    ):
        api_handler = app.exception_handlers.get(kind)

        async def handler(
            request: Request, exc: Exception, api_handler: Any = api_handler, message: str | None = message
        ) -> Response:
            if not _is_page(request.url.path) and api_handler is not None:
                return await api_handler(request, exc)  # type: ignore[no-any-return]
            if isinstance(exc, ServiceError):
                status, text = exc.status, f"{PAGE_ERROR.get(exc.status, '操作未完成')}：{exc.detail}"
            elif isinstance(exc, StarletteHTTPException):
                status, text = exc.status_code, HTTP_PAGE_ERROR.get(exc.status_code, "请求未能完成。")
            elif isinstance(exc, RequestValidationError):
                status, text = 422, _what_is_wrong(exc) or message or ""
            else:
                status = (409 if isinstance(exc, IntegrityError) else 503 if isinstance(exc, OperationalError)
                          else 500)
                text = message or ""
                log.exception("error on page %s %s", request.method, request.url.path)
            return render(
                request,
                "forbidden.html",
                None,
                status_code=status,
                message=text,
                heading=PAGE_ERROR.get(status, "出错了"),
            )

        app.add_exception_handler(kind, handler)


def _what_is_wrong(exc: Exception) -> str | None:
    """The parameters of a refused request, named in Chinese with what to write (host.api.params)."""
    names = []
    for e in exc.errors() if isinstance(exc, RequestValidationError) else ():
        name = str(e.get("loc", ("", ""))[-1])
        said = params.CHINESE.get(name) or (params.CHINESE_ID if name.endswith("id") else None)
        if said and said not in names:
            names.append(said)
    return f"网址或表单中的{'、'.join(names)}有误，请改正后重试。" if names else None


# Scripts only from the host itself (no inline script, no CDN); pages cannot be framed.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
PAGE_ERROR = {500: "主机出错", 503: "暂时无法访问",
              404: "找不到", 409: "与现有记录冲突", 422: "内容有误", 403: "无权访问", 401: "请先登录",
              413: "内容太大", 405: "不支持的操作"}
HTTP_PAGE_ERROR = {
    404: "找不到该页面，请从导航栏重新进入。",
    405: "该页面不支持这种操作，请从页面上的按钮或表单提交。",
    413: "提交的内容太大：表单最多 1 MB，上传的文件最多 5 MB。请精简内容或按月份拆分文件后重试。",
}
NOT_PAGES = ("/api/", "/healthz", "/metrics", "/openapi.json")


def _is_page(path: str) -> bool:
    return not path.startswith(NOT_PAGES)

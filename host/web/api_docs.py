"""The API reference (接口文档): Swagger UI at /docs and the OpenAPI document at /openapi.json.

Both need a sign-in: a browser session (any role) for the page, and for the document either
that or an API token (a client generating its code). Swagger UI comes from npm
(``swagger-ui-dist``, copied to static/vendor by ``./dev setup``) and is served by the host
itself, started by static/docs.js: no CDN, no inline script.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from host.auth.roles import ALL_ROLES
from host.auth.users import principal_for_token
from host.errors import Unauthorized
from host.web.core import DB, GUARD_ATTR, Viewer, current_viewer, page, render

router = APIRouter()
_bearer = HTTPBearer(auto_error=False)


def signed_in(request: Request, session: DB,
              creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
    """A browser session or an API token, of any role."""
    if current_viewer(request, session) is not None:
        return
    if creds is not None and principal_for_token(session, creds.credentials, request.app.state.clock):
        return
    raise Unauthorized("查看接口文档需要先登录",
                       "请在网页上登录，或在请求头写 `Authorization: Bearer <令牌>`")


setattr(signed_in, GUARD_ATTR, frozenset(ALL_ROLES))


@router.get("/openapi.json", include_in_schema=False, dependencies=[Depends(signed_in)])
def openapi(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
def docs(request: Request, viewer: Annotated[Viewer, Depends(page())]) -> HTMLResponse:
    return render(request, "docs.html", viewer)


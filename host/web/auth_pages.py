"""登录/退出: the login page (throttled) and logout; ``/`` sends each role to its home page."""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from host.api.client_address import client_address
from host.auth.passwords import MIN_PASSWORD_LEN
from host.auth.roles import Role
from host.auth.scopes import Scope
from host.auth.signin import sign_in
from host.auth.throttle import TooManyTries
from host.auth.users import LOGIN_TTL_MS, change_password, must_change_password, revoke_token
from host.errors import Invalid, Unauthorized
from host.web.core import DB, ClockDep, Viewer, action, back, current_viewer, page, render, web
from host.web.security import COOKIE

log = logging.getLogger(__name__)
router = APIRouter()

LOGIN_CSRF_COOKIE = "evalpad_login_csrf"
LOGIN_CSRF_BYTES = 24
LOGIN_CSRF_TTL_S = 3600  # a login form left open for an hour asks to be reloaded

HOME = {
    Role.ADMIN: "/management",
    Role.MANAGEMENT: "/management",
    Role.IT: "/it/faults",
    Role.PATROL: "/board",
    Role.STAFF: "/windows/mine",
}


def _safe_next(target: str | None) -> str | None:
    """Only a local path: never redirect a login to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request, session: DB) -> Response:
    viewer = current_viewer(request, session)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(HOME[viewer.role], status_code=303)


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    return _login_form(request, next=_safe_next(next) or "")


def _login_form(request: Request, status_code: int = 200, **context: object) -> HTMLResponse:
    """The login form with a fresh pre-session CSRF token (double submit: cookie + field), so
    another site cannot sign a browser in to an account of its choosing (login CSRF)."""
    token = secrets.token_urlsafe(LOGIN_CSRF_BYTES)
    resp = render(request, "login.html", None, status_code=status_code, login_csrf=token, **context)
    resp.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=LOGIN_CSRF_TTL_S,
        httponly=True,
        secure=web(request).jar.secure,
        samesite="strict",
        path="/login",
    )
    return resp


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    session: DB,
    clock: ClockDep,
    name: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    state = web(request)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf):
        return _login_form(
            request,
            status_code=403,
            next=_safe_next(next) or "",
            error="登录页面已过期或缺少安全令牌，请重新输入。",
        )
    address = client_address(request, request.app.state.settings.trusted_proxies)
    try:
        user, session_id = sign_in(session, name=name, password=password, address=address, clock=clock,
                                   token_name="web", ttl_ms=LOGIN_TTL_MS, scope=Scope.WEB)
    except TooManyTries as exc:
        wait = f"{exc.wait_s} 秒" if exc.wait_s < 120 else f"{-(-exc.wait_s // 60)} 分钟"
        refused = _login_form(request, status_code=429, next=_safe_next(next) or "", name=name,
                              error=f"登录失败次数过多，请 {wait}后再试。")
        refused.headers.update(exc.headers)
        return refused
    except Unauthorized:
        return _login_form(request, status_code=401, next=_safe_next(next) or "", name=name,
                           error="用户名或密码错误（或账号已停用）。多次输错后，每次重试需要等待更久。")
    target = _safe_next(next) or HOME[Role(user.role)]
    resp = RedirectResponse(target, status_code=303)
    resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/login", secure=state.jar.secure, httponly=True)
    resp.set_cookie(
        COOKIE,
        session_id,
        max_age=LOGIN_TTL_MS // 1000,
        httponly=True,
        secure=state.jar.secure,
        samesite="lax",
        path="/",
    )
    return resp


@router.post("/logout", include_in_schema=False)
def logout(
    request: Request, session: DB, clock: ClockDep, viewer: Annotated[Viewer, Depends(action())]
) -> Response:
    revoke_token(session, viewer.token, clock)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(COOKIE, path="/", secure=web(request).jar.secure, httponly=True)
    return resp


# -- 修改密码: every signed-in person; after an admin's reset, the only page until it is done ------------

@router.get("/account", response_class=HTMLResponse, include_in_schema=False)
def account(request: Request, session: DB, viewer: Annotated[Viewer, Depends(page())]) -> HTMLResponse:
    forced = must_change_password(session, viewer.principal.user_id)
    return render(request, "account.html", viewer, forced=forced, min_len=MIN_PASSWORD_LEN)


@router.post("/account/password", include_in_schema=False)
def new_password(
    session: DB,
    clock: ClockDep,
    viewer: Annotated[Viewer, Depends(action())],
    current: Annotated[str, Form()],
    new: Annotated[str, Form()],
    again: Annotated[str, Form()],
) -> Response:
    """修改密码: the current password, then the new one twice (audited, never the password itself)."""
    if new != again:
        return back("/account", err="两次输入的新密码不一致，请重新输入。")
    if len(new) < MIN_PASSWORD_LEN:
        return back("/account", err=f"新密码只有 {len(new)} 位，至少需要 {MIN_PASSWORD_LEN} 位"
                                    "（几个词连在一起就是好密码）。")
    if new == current:
        return back("/account", err="新密码不能与当前密码相同。")
    try:
        change_password(session, viewer.principal.name, current=current, new=new, clock=clock)
    except Invalid:
        return back("/account", err="当前密码不正确，请输入您登录时使用的密码。")
    return back("/account", ok="密码已修改，下次登录请使用新密码。")

"""What every page and form action needs: who is signed in, role checks, CSRF, rendering.

``page(*roles)`` guards a GET; ``action(*roles)`` guards a POST and also checks the CSRF token.
Not signed in: a redirect to /login. Wrong role: a 403 page in Chinese. Both are the page
counterpart of host.api.deps.require, resolving the same login tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from sqlmodel import Session

from host import labels
from host.auth import policy
from host.auth.roles import ALL_ROLES, Principal, Role
from host.auth.users import must_change_password, principal_for_token
from host.clock import Clock, local
from host.rules.score import shown
from host.web.security import COOKIE, FLASH_COOKIE, CookieJar

TEMPLATES = Path(__file__).parent / "templates"
GUARD_ATTR = "__evalpad_web_roles__"
CSRF_ATTR = "__evalpad_web_csrf__"
# back() hands its message to the page middleware (host.web) in this header, which signs it
# into the flash cookie and removes the header: the message never travels in the URL.
FLASH_HEADER = "x-evalpad-flash"


@dataclass
class WebState:
    jar: CookieJar
    templates: Jinja2Templates


@dataclass(frozen=True)
class Viewer:
    """The signed-in person: their principal, session id and the session's CSRF token."""

    principal: Principal
    token: str
    csrf: str

    @property
    def role(self) -> Role:
        return self.principal.role

    def can(self, *roles: Role) -> bool:
        return self.principal.role in roles

    def may_act_on(self, window_id: int | None) -> bool:
        """May send commands to this window's pad: the roles of host.auth.policy.PAD_COMMANDS, staff
        on their own window only (host.auth.roles)."""
        if self.principal.role not in policy.PAD_COMMANDS:
            return False
        if self.principal.role is Role.STAFF:
            return window_id is not None and window_id == self.principal.window_id
        return True


class LoginRequired(Exception):
    pass


class PasswordChangeRequired(Exception):
    """An admin reset this person's password: every page waits until they choose a new one."""


# Reachable while a new password is due (the form itself, and signing out).
PASSWORD_PAGES = frozenset({"/account", "/account/password", "/logout"})


class PageForbidden(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def web(request: Request) -> WebState:
    return request.app.state.web  # type: ignore[no-any-return]


def db(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as session:
        yield session


def clock_of(request: Request) -> Clock:
    return request.app.state.clock  # type: ignore[no-any-return]


DB = Annotated[Session, Depends(db)]
ClockDep = Annotated[Clock, Depends(clock_of)]


def current_viewer(request: Request, session: Session) -> Viewer | None:
    state = web(request)
    sid = state.jar.session_id(request.cookies.get(COOKIE))
    if sid is None:
        return None
    principal = principal_for_token(session, sid, request.app.state.clock, web=True)
    if principal is None:
        return None
    return Viewer(principal, sid, state.jar.csrf_for(sid))


def _checked(request: Request, session: Session, roles: frozenset[Role]) -> Viewer:
    viewer = current_viewer(request, session)
    if viewer is None:
        raise LoginRequired()
    if request.url.path not in PASSWORD_PAGES and must_change_password(session, viewer.principal.user_id):
        raise PasswordChangeRequired()
    if viewer.role not in roles:
        raise PageForbidden(f"您的角色（{labels.ROLE[viewer.role.value]}）无权访问此页面或执行此操作。")
    return viewer


def page(*roles: Role) -> Callable[..., Viewer]:
    allowed = frozenset(roles or ALL_ROLES)

    def dependency(request: Request, session: DB) -> Viewer:
        return _checked(request, session, allowed)

    setattr(dependency, GUARD_ATTR, allowed)
    return dependency


def action(*roles: Role) -> Callable[..., Any]:
    """A POST guard: signed in, right role, and a CSRF token matching the session."""
    allowed = frozenset(roles or ALL_ROLES)

    async def dependency(request: Request) -> Viewer:
        with Session(request.app.state.engine) as session:
            viewer = _checked(request, session, allowed)
        given = request.headers.get("x-csrf-token")
        if not given:
            form = await request.form()
            value = form.get("csrf")
            given = value if isinstance(value, str) else None
        if not web(request).jar.csrf_ok(viewer.token, given):
            raise PageForbidden("表单已失效或缺少安全令牌（CSRF），请刷新页面后重试。")
        return viewer

    setattr(dependency, GUARD_ATTR, allowed)
    setattr(dependency, CSRF_ATTR, True)
    return dependency


# Reachable without signing in: the login form itself and the redirect to it.
PUBLIC_PAGES = frozenset({("GET", "/"), ("GET", "/login"), ("POST", "/login")})


def _guards(route: APIRoute) -> tuple[bool, bool]:
    """(guarded by page/action, CSRF-checked) for one route."""
    stack: list[Any] = [route.dependant]
    guarded = csrf = False
    while stack:
        dep = stack.pop()
        guarded = guarded or hasattr(dep.call, GUARD_ATTR)
        csrf = csrf or hasattr(dep.call, CSRF_ATTR)
        stack.extend(dep.dependencies)
    return guarded, csrf


def check_routes(routers: list[APIRouter]) -> None:
    """Fail at start if a page lacks a role check, or a POST lacks the CSRF check."""
    bad = []
    for router in routers:
        for r in router.routes:
            if not isinstance(r, APIRoute):
                continue
            for method in r.methods or ():
                if (method, r.path) in PUBLIC_PAGES:
                    continue
                guarded, csrf = _guards(r)
                if not guarded or (method != "GET" and not csrf):
                    bad.append(f"{method} {r.path}")
    if bad:
        raise RuntimeError(f"web routes without page(...)/action(...): {bad}")


AnyViewer = Annotated[Viewer, Depends(page())]


def render(
    request: Request, template: str, viewer: Viewer | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    clock: Clock = request.app.state.clock
    state = web(request)
    flash = state.jar.read_flash(request.cookies.get(FLASH_COOKIE))
    ctx = {
        "request": request,
        "viewer": viewer,
        "L": labels,
        "Role": Role,
        "now_ms": clock.now_ms(),
        "ok": flash[1] if flash and flash[0] == "ok" else None,
        "err": flash[1] if flash and flash[0] == "err" else None,
        **context,
    }
    resp = state.templates.TemplateResponse(request, template, ctx, status_code=status_code)
    if FLASH_COOKIE in request.cookies:
        resp.delete_cookie(FLASH_COOKIE, path="/", secure=state.jar.secure, httponly=True)  # shown once
    return resp


def back(url: str, ok: str | None = None, err: str | None = None) -> RedirectResponse:
    """Redirect after a POST (303), with a message the host shows once on the next page
    (in a signed cookie, never in the URL)."""
    resp = RedirectResponse(url, status_code=303)
    for kind, text in (("ok", ok), ("err", err)):
        if text:
            resp.headers[FLASH_HEADER] = kind + ":" + quote(text, safe="")
    return resp


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (("?" + request.url.query) if request.url.query else "")
    return RedirectResponse("/login?next=" + quote(target, safe=""), status_code=303)


def fmt_time(ms: int | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return local(ms).strftime(pattern) if ms is not None else "—"


WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")   # 0 = 周一 inside (host.calendar)


def weekdays_zh(codes: str) -> str:
    """"0,2" as 周一、周三 (a stored weekday list, host.calendar.config.parse_weekdays)."""
    days = sorted({int(c) for c in codes.replace("，", ",").split(",") if c.strip().isdigit() and int(c) < 7})
    return "、".join(WEEKDAYS[d] for d in days)


def month_choices(month: str, back: int = 24, ahead: int = 12) -> list[tuple[str, str]]:
    """Months around ``month`` ("2026-10") as (key, 2026年10月): a month picker that reads in Chinese
    whatever the browser's locale (an <input type=month> shows the browser's language)."""
    y, m = int(month[:4]), int(month[5:7])
    out = []
    for k in range(y * 12 + m - 1 + ahead, y * 12 + m - 1 - back - 1, -1):
        out.append((f"{k // 12:04d}-{k % 12 + 1:02d}", f"{k // 12}年{k % 12 + 1}月"))
    return out


def deduction_key_text(key: str) -> str:
    """A waiver's deduction key ("<window>:<month>:<kind>:<ms>") as a person reads it: kind and time."""
    parts = key.split(":")
    if len(parts) != 4:
        return key
    kind, moment = labels.DEDUCTION.get(parts[2], parts[2]), parts[3]
    return f"{kind} · {fmt_time(int(moment))}" if moment.isdigit() else kind


def deduction_groups(deductions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A window's deductions grouped by day and kind (25 closures of one outage are one group), each
    group with its count, points counted and points waived, in time order."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for d in deductions:
        moment = d["span"]["start_ms"] if d["span"] else d["at_ms"]
        day = fmt_time(moment, "%Y-%m-%d") if moment is not None else "整月"
        g = groups.setdefault((day, d["kind"]), {"day": day, "kind": d["kind"], "rule": d["rule"], "rows": [],
                                                  "counted": Fraction(0), "waived": Fraction(0), "open": 0})
        g["rows"].append(d)
        g["counted" if d["counts"] else "waived"] += Fraction(d["points"])
        g["open"] += d["counts"]
    return [{**g, "counted": shown(g["counted"]), "waived": shown(g["waived"])} for g in groups.values()]


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters["t"] = fmt_time
    templates.env.filters["hm"] = lambda ms: fmt_time(ms, "%H:%M:%S")
    templates.env.filters["dkey"] = deduction_key_text
    templates.env.globals["WEEKDAYS"] = WEEKDAYS
    templates.env.globals["weekdays_zh"] = weekdays_zh
    templates.env.globals["month_choices"] = month_choices
    templates.env.globals["deduction_groups"] = deduction_groups
    templates.env.filters["pct"] = lambda x: f"{x * 100:.1f}%" if x is not None else "—"
    return templates

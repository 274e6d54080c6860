"""Dependencies of every route: the DB session, the clock, settings, publish, and who is asking.

``require(*roles)`` guards every route (``create_app`` refuses to build an app with an
unguarded one, except the few listed in ``PUBLIC_PATHS``). Readable aliases below say
which roles a route admits; staff are further limited to their own window by the route
(``Principal.check_window``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from host.api.client_address import client_address
from host.auth import policy
from host.auth.roles import Principal, Role
from host.auth.scopes import SAFE_METHODS, Scope
from host.auth.users import principal_for_token
from host.clock import Clock
from host.commands import Publish
from host.errors import Forbidden, Unauthorized
from host.labels import ROLE
from host.settings import Settings

# Reachable without a token: signing in, the liveness probe, and the API reference.
# Unguarded on purpose: signing in, the probe, and the release files the pads download
# (public code; a pad installs a file only if its hash matches the manifest whose own hash
# came in the host's authenticated update command, host/releases/web.py).
PUBLIC_PATHS = frozenset({"/api/v1/auth/login", "/healthz", "/ota/{version}/{path:path}"})
_ROLES_ATTR = "__evalpad_roles__"
_QUEUE_ATTR = "__evalpad_queue_hook__"

_bearer = HTTPBearer(auto_error=False, description="a login token (POST /api/v1/auth/login) "
                     "or an API token (`evalpad token create`)")


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as session:
        yield session


def get_clock(request: Request) -> Clock:
    return request.app.state.clock  # type: ignore[no-any-return]


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_publish(request: Request) -> Publish:
    return request.app.state.publish  # type: ignore[no-any-return]


def get_client_address(request: Request) -> str:
    return client_address(request, request.app.state.settings.trusted_proxies)


SessionDep = Annotated[Session, Depends(get_session)]
ClockDep = Annotated[Clock, Depends(get_clock)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PublishDep = Annotated[Publish, Depends(get_publish)]
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
ClientAddress = Annotated[str, Depends(get_client_address)]


def _check_scope(principal: Principal, method: str, queue_hook: bool) -> None:
    """A token's scope narrows its role (host.auth.scopes)."""
    if principal.scope == Scope.READ and method not in SAFE_METHODS:
        raise Forbidden("这个令牌只能读取，不能修改", "修改数据请用权限为 full 的令牌")
    if principal.scope == Scope.QUEUE and not queue_hook:
        raise Forbidden("叫号系统令牌只能用于叫号接口（/api/v1/windows/{number}/sessions、/api/v1/sessions）",
                        "其他用途请用权限为 read 或 full 的令牌")


def require(*roles: Role, queue_hook: bool = False) -> Callable[..., Principal]:
    """A dependency admitting a valid bearer token of one of ``roles``; returns the Principal.

    ``queue_hook``: the route is part of the queue-system hook, so queue-scoped tokens may use it.
    """
    allowed = frozenset(roles)
    names = ", ".join(sorted(r.value for r in allowed))

    def dependency(request: Request, session: SessionDep, clock: ClockDep, creds: BearerDep) -> Principal:
        if creds is None:
            raise Unauthorized("这个接口需要令牌（bearer token）",
                               "先登录（POST /api/v1/auth/login）或新建 API 令牌"
                               "（evalpad token create），再在请求头写 `Authorization: Bearer <令牌>`")
        principal = principal_for_token(session, creds.credentials, clock)
        if principal is None:
            raise Unauthorized("令牌无效、已过期或已吊销",
                               "请重新登录，或向系统管理员申请新的 API 令牌")
        if principal.role not in allowed:
            role = principal.role.value
            raise Forbidden(f"{ROLE[role]}（{role}）不能使用这个接口（可用角色：{names}）",
                            "如工作确实需要，请联系系统管理员")
        _check_scope(principal, request.method, queue_hook)
        return principal

    setattr(dependency, _ROLES_ATTR, allowed)
    setattr(dependency, _QUEUE_ATTR, queue_hook)
    return dependency


def route_roles(route: APIRoute) -> frozenset[Role] | None:
    """The roles a route admits, or None if no ``require`` guards it."""
    stack: list[Any] = [route.dependant]
    while stack:
        dep = stack.pop()
        roles = getattr(dep.call, _ROLES_ATTR, None)
        if roles is not None:
            return roles  # type: ignore[no-any-return]
        stack.extend(dep.dependencies)
    return None


def check_every_route_guarded(routers: Iterable[tuple[str, APIRouter]]) -> None:
    """Fail at start if someone adds a route and forgets ``require`` (the API's one safety net).

    Checked on the routers before they are mounted: their routes are plain APIRoutes in
    every FastAPI version, whereas a mounted app's route list is version-specific.
    """
    bare = [prefix + r.path for prefix, router in routers for r in router.routes
            if isinstance(r, APIRoute) and prefix + r.path not in PUBLIC_PATHS and route_roles(r) is None]
    if bare:
        raise RuntimeError(f"routes without require(...): {bare}")


# Readable aliases of host.auth.policy's rows.
AnyUser = Annotated[Principal, Depends(require(*policy.EVERYONE))]
Admin = Annotated[Principal, Depends(require(*policy.USERS))]
WindowEditor = Annotated[Principal, Depends(require(*policy.WINDOWS_EDIT))]
FleetReader = Annotated[Principal, Depends(require(*policy.EVERYONE))]
FleetEditor = Annotated[Principal, Depends(require(*policy.FLEET))]
EventReader = Annotated[Principal, Depends(require(*policy.DESK))]
Operator = Annotated[Principal, Depends(require(*policy.PAD_COMMANDS))]                 # commands to pads
QueueClient = Annotated[Principal, Depends(require(*policy.DESK, queue_hook=True))]   # the queue-system hook
MetricsReader = Annotated[Principal, Depends(require(*policy.FLEET))]
Overseer = Annotated[Principal, Depends(require(*policy.OVERSIGHT))]                  # audit, summaries

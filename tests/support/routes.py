"""Every route of a built app with its full path, read from the app itself (for derived tests).

FastAPI mounts included routers lazily (``app.routes`` holds wrappers, not the routes), so
this walks the wrappers down to each route and adds up the prefixes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

from host.api.deps import route_roles
from host.auth.roles import Role
from host.web.core import GUARD_ATTR


@dataclass(frozen=True)
class AppRoute:
    path: str                  # the full path, e.g. /api/v1/windows/{number}
    methods: frozenset[str]
    route: Any                 # the APIRoute (or a plain starlette Route such as /docs)

    @property
    def api(self) -> APIRoute | None:
        return self.route if isinstance(self.route, APIRoute) else None


def app_routes(app: Any) -> list[AppRoute]:
    out: list[AppRoute] = []

    def walk(routes: list[Any], prefix: str) -> None:
        for r in routes:
            if isinstance(r, APIRoute | Route):
                out.append(AppRoute(prefix + r.path, frozenset(r.methods or ()) - {"HEAD"}, r))
            elif hasattr(r, "original_router"):     # fastapi.routing._IncludedRouter
                walk(r.original_router.routes, prefix + r.include_context.prefix)
            elif not isinstance(r, Mount):            # /static is files, not a route
                raise AssertionError(f"unknown kind of route {r!r}: teach tests/support/routes.py")

    walk(app.router.routes, "")
    return out


def guard_roles(route: AppRoute) -> frozenset[Role] | None:
    """The roles a route's guard admits (API ``require`` or the pages' ``page``/``action``); None: public."""
    if route.api is None:
        return None
    roles = route_roles(route.api)
    if roles is not None:
        return roles
    stack: list[Any] = [route.api.dependant]
    while stack:
        dep = stack.pop()
        found = getattr(dep.call, GUARD_ATTR, None)
        if found is not None:
            return found  # type: ignore[no-any-return]
        stack.extend(dep.dependencies)
    return None

"""What a token may do within its user's role (its scope), and how long tokens live.

| scope | for | may use |
|---|---|---|
| full | a person's API sign-in; a trusted machine | every API route the user's role allows |
| read | monitoring, reports, dashboards | the role's GET routes only |
| queue | the queue system (排队叫号系统) | the queue hook (sessions and their prompts), named windows only |
| web | a browser's session of the web pages | the pages only; the API refuses it |

Machine tokens always expire (``DEFAULT_DAYS`` unless told, at most ``MAX_DAYS``), so a
forgotten token stops working by itself; renewing one is a new, audited token.
"""

from __future__ import annotations

from enum import StrEnum

from host.errors import Invalid


class Scope(StrEnum):
    FULL = "full"
    READ = "read"
    QUEUE = "queue"
    WEB = "web"


API_SCOPES = (Scope.FULL, Scope.READ, Scope.QUEUE)
DEFAULT_DAYS = 90
MAX_DAYS = 365
SAFE_METHODS = frozenset({"GET", "HEAD"})


def api_scope(value: str) -> Scope:
    try:
        scope = Scope(value)
    except ValueError:
        scope = None
    if scope not in API_SCOPES:
        raise Invalid(f"没有令牌权限 {value!r}",
                      "权限只能是以下之一：" + "、".join(s.value for s in API_SCOPES))
    return scope  # type: ignore[return-value]


def check_days(days: int) -> int:
    if not 1 <= days <= MAX_DAYS:
        raise Invalid(f"令牌有效期只能是 1 到 {MAX_DAYS} 天，不能是 {days} 天",
                      "把天数改少；到期后再新建一个令牌")
    return days

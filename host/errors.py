"""Errors the host's services raise for people: what is wrong, and how to fix it.

The API turns them into RFC 9457 problem details (host.api.problems); the CLI prints
them. Services never raise HTTP exceptions themselves, so the CLI and the API say the same.
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base: ``title`` (short), ``detail`` (what is wrong), ``fix`` (what to do about it).

    ``heading`` is the class's title in Chinese, shown where no title is given (the API's
    problem ``title``): the docstrings are for developers."""

    status = 400
    kind = "bad-request"
    heading = "请求有误"

    def __init__(self, detail: str, fix: str = "", title: str = "") -> None:
        super().__init__(detail)
        self.detail = detail
        self.fix = fix
        self.title = title or self.heading

    def __str__(self) -> str:
        return f"{self.detail} -- {self.fix}" if self.fix else self.detail


class NotFound(ServiceError):
    """Not found"""

    status = 404
    kind = "not-found"
    heading = "未找到"


class Conflict(ServiceError):
    """Conflicts with what is stored"""

    status = 409
    kind = "conflict"
    heading = "与已保存的内容冲突"


class Invalid(ServiceError):
    """Invalid value"""

    status = 422
    kind = "invalid"
    heading = "填写有误"


class Unauthorized(ServiceError):
    """Not signed in"""

    status = 401
    kind = "unauthorized"
    heading = "未登录"


class Forbidden(ServiceError):
    """Not allowed for this role"""

    status = 403
    kind = "forbidden"
    heading = "无权操作"


class Unavailable(ServiceError):
    """A part the host needs is not available"""

    status = 503
    kind = "unavailable"
    heading = "所需的部件暂不可用"

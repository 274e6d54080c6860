"""Errors the host's services raise for people: what is wrong, and how to fix it.

The API turns them into RFC 9457 problem details (host.api.problems); the CLI prints
them. Services never raise HTTP exceptions themselves, so the CLI and the API say the same.
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base: ``title`` (short), ``detail`` (what is wrong), ``fix`` (what to do about it)."""

    status = 400
    kind = "bad-request"

    def __init__(self, detail: str, fix: str = "", title: str = "") -> None:
        super().__init__(detail)
        self.detail = detail
        self.fix = fix
        self.title = title or self.__class__.__doc__ or self.kind

    def __str__(self) -> str:
        return f"{self.detail} -- {self.fix}" if self.fix else self.detail


class NotFound(ServiceError):
    """Not found"""

    status = 404
    kind = "not-found"


class Conflict(ServiceError):
    """Conflicts with what is stored"""

    status = 409
    kind = "conflict"


class Invalid(ServiceError):
    """Invalid value"""

    status = 422
    kind = "invalid"


class Unauthorized(ServiceError):
    """Not signed in"""

    status = 401
    kind = "unauthorized"


class Forbidden(ServiceError):
    """Not allowed for this role"""

    status = 403
    kind = "forbidden"


class Unavailable(ServiceError):
    """A part the host needs is not available"""

    status = 503
    kind = "unavailable"

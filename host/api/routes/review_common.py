"""Shared bits of the review routes (violations, faults, volume, waivers): roles and lookups."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.responses import Response
from sqlmodel import Session, select

from host import fleet
from host.api.deps import require
from host.auth import policy
from host.auth.roles import Principal, Role
from host.errors import Invalid
from host.models.fleet import Window

# R6/R8: only the management section decides (admin may stand in).
Reviewer = Annotated[Principal, Depends(require(*policy.REVIEW))]
# Reads of one window's review: management, and that window's own staff (feedback, R11).
ReviewReader = Annotated[Principal, Depends(require(*policy.MONTH_SCORES))]
# R6: a complaint or patrol record may flag a candidate.
ViolationReporter = Annotated[Principal, Depends(require(Role.ADMIN, Role.MANAGEMENT, Role.PATROL))]
# R7: the IT section keeps the repair log; everyone may read it and report a problem.
FaultWorker = Annotated[Principal, Depends(require(*policy.FLEET))]
FaultUser = Annotated[Principal, Depends(require(*tuple(Role)))]
SummaryReader = Annotated[Principal, Depends(require(Role.ADMIN, Role.MANAGEMENT, Role.IT))]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def window_id(session: Session, number: str | None, who: Principal) -> int | None:
    """The window's id by number; staff are held to their own window (None: theirs, if staff)."""
    if number is None:
        if who.role is Role.STAFF:
            return who.window_id
        return None
    wid = fleet.get_window(session, number).id
    who.check_window(wid)
    return wid


def window_names(session: Session) -> dict[int, str]:
    return {w.id: f"{w.number} {w.name}" for w in session.exec(select(Window)).all() if w.id is not None}


def window_numbers(session: Session) -> dict[int, str]:
    return {w.id: w.number for w in session.exec(select(Window)).all() if w.id is not None}


def check_format(fmt: str) -> None:
    if fmt not in ("csv", "xlsx"):
        raise Invalid(f"format {fmt!r} is not csv or xlsx", "use ?format=csv or ?format=xlsx")


def download(data: bytes, fmt: str, stem: str) -> Response:
    check_format(fmt)
    media = "text/csv; charset=utf-8" if fmt == "csv" else XLSX
    return Response(content=data, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'})

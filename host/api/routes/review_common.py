"""Shared bits of the review routes (violations, faults, volume, waivers): roles and lookups."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlmodel import Session

from host import fleet
from host.api.deps import require
from host.auth import policy
from host.auth.roles import Principal, Role

# R6/R8: only the management section decides (admin may stand in).
Reviewer = Annotated[Principal, Depends(require(*policy.REVIEW))]
# Reads of one window's review: management, and that window's own staff (feedback, R11).
ReviewReader = Annotated[Principal, Depends(require(*policy.MONTH_SCORES))]
# R6: a complaint or patrol record may flag a candidate.
ViolationReporter = Annotated[Principal, Depends(require(*policy.REPORT_VIOLATION))]
# R7: the IT section keeps the repair log; everyone may read it and report a problem.
FaultWorker = Annotated[Principal, Depends(require(*policy.FLEET))]
FaultUser = Annotated[Principal, Depends(require(*policy.EVERYONE))]
SummaryReader = Annotated[Principal, Depends(require(*policy.OVERSIGHT))]


def window_id(session: Session, number: str | None, who: Principal) -> int | None:
    """The window's id by number; staff are held to their own window (None: theirs, if staff)."""
    if number is None:
        if who.role is Role.STAFF:
            return who.window_id
        return None
    wid = fleet.get_window(session, number).id
    who.check_window(wid)
    return wid

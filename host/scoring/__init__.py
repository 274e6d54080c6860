"""Scoring on the database: facts and decisions in, the pure rules (host.rules) applied, reports out.

``report.month_view`` / ``report.month_report`` (R2-R5, R8-R10), ``months`` (close and reopen,
R11), ``periods`` (quarters and years with rankings), ``config`` (calendar and rule settings,
audited, R12), ``serialize`` (JSON for the API, CLI and the closed-month snapshot).
"""

from __future__ import annotations

from host.errors import Conflict, ServiceError
from host.rules.calendar import CalendarMissing


def calendar_error(exc: CalendarMissing) -> ServiceError:
    """R5: a day without calendar data, as an error the operator sees with the fix."""
    return Conflict(f"no working-day calendar for {exc.day.isoformat()}", str(exc).split(": ", 1)[1],
                    title="Calendar missing")

"""The month's review list as a file (CSV or printable Excel), the same for pages, API and CLI."""

from __future__ import annotations

from sqlmodel import Session

from host import exports, fleet
from host.models.review import ViolationDecision
from host.violations.detect import unjudged_sessions
from host.violations.review import decisions_of, list_candidates


def export_month(session: Session, month: str, fmt: str, now_ms: int) -> tuple[bytes, int]:
    """The candidates with their newest decisions; the Excel file also has the sessions not judged
    for their prompt (无法核对) as a sheet of its own when there are any. Returns (file, candidates)."""
    rows = list_candidates(session, month=month)
    newest: dict[int, ViolationDecision] = {}
    for c in rows:
        if c.id is not None and (ds := decisions_of(session, c.id)):
            newest[c.id] = ds[-1]
    names = fleet.window_names(session)
    if fmt == "csv":
        return exports.violations_csv(rows, names, newest), len(rows)
    unjudged = unjudged_sessions(session, month, now_ms=now_ms)
    return exports.violations_xlsx(rows, names, newest, unjudged=unjudged), len(rows)

"""What a month's report is (``MonthView``: each window's score with every component, its
closures, pads, notes and rank) and its JSON form, for the API, the CLI and the snapshot a
month close stores (R11)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from host.models.months import MonthAction
from host.rules.types import Closure, MonthScore
from host.scoring import serialize


@dataclass(frozen=True, slots=True)
class WindowInfo:
    id: int
    number: str
    name: str
    category: str


@dataclass(frozen=True, slots=True)
class WindowResult:
    window: WindowInfo
    score: MonthScore
    closures: tuple[Closure, ...] = ()
    pads: tuple[str, ...] = ()
    closed_days: tuple[date, ...] = ()
    notes: tuple[str, ...] = ()
    rank: int | None = None


@dataclass(frozen=True, slots=True)
class MonthView:
    month: str
    status: str                      # "running" | "ended" (not closed yet) | "closed"
    computed_ms: int
    until_ms: int                    # facts judged up to here (month so far)
    results: tuple[WindowResult, ...]
    assumptions: tuple[str, ...] = ()
    closed: dict | None = None       # {"by", "at_ms", "reason"} of the close in force
    late_events: tuple[dict, ...] = ()
    late_corrections: tuple[dict, ...] = ()   # assignment corrections recorded after the close (R11)
    extra: dict = field(default_factory=dict)


def view_json(view: MonthView) -> dict[str, Any]:
    return {
        "month": view.month, "status": view.status, "computed_ms": view.computed_ms,
        "until_ms": view.until_ms,
        "assumptions": list(view.assumptions), "closed": view.closed, "late_events": list(view.late_events),
        "late_corrections": list(view.late_corrections),
        "windows": [{
            "window": asdict(r.window), "rank": r.rank, "pads": list(r.pads), "notes": list(r.notes),
            "closed_days": [d.isoformat() for d in r.closed_days],
            "score": serialize.score_json(r.score),
            "closures": [serialize.closure_json(c) for c in r.closures]} for r in view.results],
    }


def view_from_snapshot(action: MonthAction) -> MonthView:
    snap = action.snapshot or {}
    results = tuple(WindowResult(
        window=WindowInfo(**w["window"]), score=serialize.score_from(w["score"]),
        closures=tuple(serialize.closure_from(c) for c in w["closures"]), pads=tuple(w["pads"]),
        closed_days=tuple(date.fromisoformat(d) for d in w["closed_days"]), notes=tuple(w["notes"]),
        rank=w["rank"]) for w in snap.get("windows", []))
    return MonthView(month=action.month, status="closed", computed_ms=snap.get("computed_ms", action.at_ms),
                     until_ms=snap.get("until_ms", action.at_ms), results=results,
                     assumptions=tuple(snap.get("assumptions", ())),
                     closed={"by": action.by, "at_ms": action.at_ms, "reason": action.reason})

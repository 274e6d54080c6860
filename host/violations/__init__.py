"""R6 review: detect candidates (``detect``), confirm or dismiss them (``review``), and what
confirmed ones mean for the monthly score (``confirmed_deductions``, ``voided_event_ids``)."""

from host.violations.detect import (
    DetectResult,
    MonthDetection,
    Unjudged,
    candidates_for,
    detect,
    detect_month,
    unjudged_sessions,
)
from host.violations.export import export_month
from host.violations.review import (
    confirm,
    confirmed_deductions,
    decide,
    decisions_of,
    dismiss,
    get_candidate,
    list_candidates,
    patrol_note,
    report,
    voided_event_ids,
)

__all__ = [
    "DetectResult",
    "MonthDetection",
    "Unjudged",
    "candidates_for",
    "confirm",
    "confirmed_deductions",
    "decide",
    "decisions_of",
    "detect",
    "detect_month",
    "dismiss",
    "export_month",
    "get_candidate",
    "list_candidates",
    "patrol_note",
    "report",
    "unjudged_sessions",
    "voided_event_ids",
]

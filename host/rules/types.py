"""Value types the rules pass around. Frozen and plain so pure functions can share them.

Times are Unix ms UTC (``*_ms``); rules convert to Asia/Shanghai with host.clock.local.
Points are ``Fraction`` (exact, R2); round half-up to 2 decimals only when shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open time interval [start_ms, end_ms)."""

    start_ms: int
    end_ms: int

    def overlap_ms(self, other: Span) -> int:
        return max(0, min(self.end_ms, other.end_ms) - max(self.start_ms, other.start_ms))


@dataclass(frozen=True, slots=True)
class WorkSession:
    """One working session of a window on a day (R5): morning, noon (duty), afternoon, saturday."""

    day: date
    name: str          # "morning" | "noon" | "afternoon" | "saturday-<n>"
    span: Span


@dataclass(frozen=True, slots=True)
class Closure:
    """An off interval touching one working session by at least the grace period (R5).

    ``excuse`` is None when it deducts, else why not: "placard" (R5a), "fault:<id>" (R5b/R7),
    "closed_day" (R5c), "host_down" (R5d), "network_outage:<id>" (R7, mass outage).
    """

    window_id: int
    device_id: str | None
    session: WorkSession
    off: Span                   # the part of the off interval inside the session
    cause: str = ""             # will, power_off, timeout, late_start, never_on, ...
    excuse: str | None = None


@dataclass(frozen=True, slots=True)
class Deduction:
    """One line that lowers a window's final score (R4, R5, R6), shown on the report with its evidence.

    ``waiver`` is None when it counts; otherwise why it does not (R7 pad fault, or a management
    waiver with its reason, R8). Waived deductions stay on the report, marked, never hidden.
    """

    # "shortfall" | "closure" | "no_prompt" | "refused" | "consecutive" | "self_eval"
    kind: str
    points: Fraction
    rule: str                   # "R4", "R5", "R6"
    at_ms: int | None = None
    span: Span | None = None
    evidence: tuple[int, ...] = ()   # event ids (or other record ids) behind it
    detail: str = ""
    waiver: str | None = None

    @property
    def counts(self) -> bool:
        return self.waiver is None


@dataclass(frozen=True, slots=True)
class MonthScore:
    """A window's monthly 5-point score with every component (R2-R4, R8, R9)."""

    window_id: int
    month: str                  # "2026-10"
    volume: int | None          # V (None: no volume known)
    volume_source: str          # "import" | "queue" | "none"
    standard: int               # 标准数 (R3)
    valid: int                  # N
    satisfied: int              # S
    base: Fraction | None       # None: not rated (R9)
    deductions: tuple[Deduction, ...] = field(default_factory=tuple)
    final: Fraction | None = None

    @property
    def rated(self) -> bool:
        return self.final is not None


def deduction_key(window_id: int, month: str, d: Deduction) -> str:
    """A stable name for one deduction, so a management waiver (R8) can point at it across recomputes."""
    moment = d.span.start_ms if d.span is not None else d.at_ms
    return f"{window_id}:{month}:{d.kind}:{moment if moment is not None else '-'}"

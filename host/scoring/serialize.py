"""Report values as JSON (API, CLI, the closed-month snapshot) and back.

Exact numbers travel as fractions ``"9/2"`` beside their display form ``"4.50"`` (R2: rounded
half-up to 2 decimals only when shown), so a snapshot restores the exact score.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

from host.clock import local
from host.rules.score import shown
from host.rules.types import Closure, Deduction, MonthScore, Span, WorkSession, deduction_key

SNAPSHOT_VERSION = 1


def frac(x: Fraction | None) -> str | None:
    return None if x is None else f"{x.numerator}/{x.denominator}"


def unfrac(text: str | None) -> Fraction | None:
    return None if text is None else Fraction(text)


def span_json(s: Span | None) -> dict | None:
    if s is None:
        return None
    return {"start_ms": s.start_ms, "end_ms": s.end_ms, "start_local": local(s.start_ms).isoformat(),
            "end_local": local(s.end_ms).isoformat()}


def deduction_json(window_id: int, month: str, d: Deduction) -> dict[str, Any]:
    return {"key": deduction_key(window_id, month, d), "kind": d.kind, "rule": d.rule,
            "points": frac(d.points), "points_shown": shown(d.points), "at_ms": d.at_ms,
            "span": span_json(d.span), "evidence": list(d.evidence), "detail": d.detail,
            "waiver": d.waiver, "counts": d.counts}


def deduction_from(d: dict[str, Any]) -> Deduction:
    span = d.get("span")
    return Deduction(kind=d["kind"], points=Fraction(d["points"]), rule=d["rule"], at_ms=d.get("at_ms"),
                     span=Span(span["start_ms"], span["end_ms"]) if span else None,
                     evidence=tuple(d.get("evidence", ())), detail=d.get("detail", ""),
                     waiver=d.get("waiver"))


def score_json(s: MonthScore) -> dict[str, Any]:
    counted = sum((d.points for d in s.deductions if d.counts), Fraction(0))
    return {"window_id": s.window_id, "month": s.month, "volume": s.volume, "volume_source": s.volume_source,
            "standard": s.standard, "valid": s.valid, "satisfied": s.satisfied,
            "shortfall": max(0, s.standard - s.valid),
            "base": frac(s.base), "base_shown": shown(s.base),
            "deducted": frac(counted), "deducted_shown": shown(counted),
            "final": frac(s.final), "final_shown": shown(s.final), "rated": s.rated,
            "deductions": [deduction_json(s.window_id, s.month, d) for d in s.deductions]}


def score_from(d: dict[str, Any]) -> MonthScore:
    return MonthScore(window_id=d["window_id"], month=d["month"], volume=d["volume"],
                      volume_source=d["volume_source"], standard=d["standard"], valid=d["valid"],
                      satisfied=d["satisfied"], base=unfrac(d["base"]),
                      deductions=tuple(deduction_from(x) for x in d["deductions"]), final=unfrac(d["final"]))


def closure_json(c: Closure) -> dict[str, Any]:
    return {"window_id": c.window_id, "device_id": c.device_id, "day": c.session.day.isoformat(),
            "session": c.session.name, "session_span": span_json(c.session.span), "off": span_json(c.off),
            "minutes": round((c.off.end_ms - c.off.start_ms) / 60_000, 1), "cause": c.cause,
            "excuse": c.excuse}


def closure_from(d: dict[str, Any]) -> Closure:
    ss, off = d["session_span"], d["off"]
    session = WorkSession(date.fromisoformat(d["day"]), d["session"], Span(ss["start_ms"], ss["end_ms"]))
    return Closure(window_id=d["window_id"], device_id=d["device_id"], session=session,
                   off=Span(off["start_ms"], off["end_ms"]), cause=d["cause"], excuse=d["excuse"])

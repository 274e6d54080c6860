"""The monthly 5-point score (R2, R4, R8, R9), period views and rankings. Pure, exact.

``base = 5 × S / N`` as a Fraction (R2); ``final = max(0, base − every counting deduction)``
(R8); a window with N = 0 and standard count 0 is not rated (R9). Numbers are rounded
half-up to 2 decimals only when shown (``shown``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

from host import labels
from host.clock import local
from host.rules.standard import shortfall, shortfall_points, standard_count
from host.rules.types import Closure, Deduction, MonthScore, deduction_key

FULL_MARKS = 5                      # R1/R2: satisfied is worth 5
CLOSURE_POINTS = Fraction(1)        # R5: 无故关闭, 每次扣1分



def excuse_text(excuse: str | None) -> str | None:
    """Why a closure does not deduct, in words for the report (R5 a-d, R7): host.labels.EXCUSE."""
    return labels.excuse(excuse) if excuse is not None else None


def closure_deduction(c: Closure) -> Deduction:
    """A closure as a report line: 1 point (R5), waived when excused, with its evidence in words."""
    start, end = local(c.off.start_ms), local(c.off.end_ms)
    detail = (f"{c.session.day.isoformat()} {labels.session_name(c.session.name)}："
              f"{start:%H:%M:%S}–{end:%H:%M:%S} 关闭（{labels.CAUSE.get(c.cause, c.cause or '原因不明')}"
              f"{'，评价器 ' + c.device_id if c.device_id else ''}）")
    return Deduction(kind="closure", points=CLOSURE_POINTS, rule="R5", span=c.off, detail=detail,
                     waiver=excuse_text(c.excuse))


def base_score(valid: int, satisfied: int) -> Fraction:
    """R2: 5 × S / N exactly; 0 when N = 0 (R9, rated because the standard count is above 0)."""
    if not 0 <= satisfied <= valid:
        raise ValueError(f"need 0 <= S <= N, got S={satisfied}, N={valid}")
    return Fraction(FULL_MARKS * satisfied, valid) if valid else Fraction(0)


def month_score(window_id: int, month: str, *, volume: int | None, volume_source: str, valid: int,
                satisfied: int, deductions: Sequence[Deduction] = (),
                waivers: Mapping[str, str] | None = None, points: Fraction | None = None) -> MonthScore:
    """One window's month (R2-R4, R8, R9).

    ``deductions`` are the closures and confirmed violations (R5, R6), already marked waived
    where R7 applies; the shortfall deduction (R4) is added here. ``waivers`` maps
    ``deduction_key`` -> the management section's written reason (R8). A month without a
    known volume has standard count 0: no shortfall can be judged (the report shows
    ``volume_source`` "none"). ``points``: the evaluations' points where the five-level mode
    gives levels other points (host.rules.goodbad.points_total); base = points / N. None: R2's 5 × S.
    """
    standard = standard_count(volume) if volume is not None else 0
    lines = list(deductions)
    d = shortfall(standard, valid)
    if d:
        lines.insert(0, Deduction(kind="shortfall", points=Fraction(shortfall_points(d)), rule="R4",
                                  detail=f"标准数 {standard} − 有效评价数 {valid} = 不足 {d}"))
    waivers = waivers or {}
    lines = [replace(x, waiver=f"R8：管理科减免：{waivers[k]}")
             if x.waiver is None and (k := deduction_key(window_id, month, x)) in waivers else x
             for x in lines]
    if valid == 0 and standard == 0:
        return MonthScore(window_id, month, volume, volume_source, standard, 0, 0, None, tuple(lines), None)
    base = base_score(valid, satisfied)
    if points is not None and valid:
        if not 0 <= points <= FULL_MARKS * valid:
            raise ValueError(f"need 0 <= points <= 5 × N, got {points} for N={valid}")
        base = points / valid
    counted = sum((x.points for x in lines if x.counts), Fraction(0))
    final = max(Fraction(0), base - counted)
    return MonthScore(window_id, month, volume, volume_source, standard, valid, satisfied, base,
                      tuple(lines), final)


def shown(x: Fraction | None) -> str:
    """Round half-up to 2 decimals for display (R2); not rated (R9) shows as "—"."""
    if x is None:
        return "—"
    hundredths = x * 100
    sign = -1 if hundredths < 0 else 1
    n = (abs(hundredths) + Fraction(1, 2)).__floor__() * sign
    return f"{'-' if n < 0 else ''}{abs(n) // 100}.{abs(n) % 100:02d}"


def ranks(scores: Mapping[int, Fraction | None]) -> dict[int, int]:
    """Competition ranking (1, 2, 2, 4) on exact scores, best first; not rated windows left out (R9)."""
    rated = sorted(((s, w) for w, s in scores.items() if s is not None), key=lambda p: (-p[0], p[1]))
    out: dict[int, int] = {}
    for i, (s, w) in enumerate(rated):
        out[w] = out[rated[i - 1][1]] if i and rated[i - 1][0] == s else i + 1
    return out


@dataclass(frozen=True, slots=True)
class PeriodScore:
    """A window's quarter or year: the mean of its rated monthly finals (our reading; the source
    defines only months). Months not rated (R9) are left out; no rated month: not rated."""

    window_id: int
    period: str                  # "2026-Q4" | "2026"
    months: tuple[str, ...]      # the rated months counted
    score: Fraction | None
    rank: int | None = None


def period_scores(period: str, monthly: Iterable[MonthScore]) -> list[PeriodScore]:
    by_window: dict[int, list[MonthScore]] = {}
    for m in monthly:
        by_window.setdefault(m.window_id, []).append(m)
    scores: dict[int, tuple[tuple[str, ...], Fraction | None]] = {}
    for w, ms in by_window.items():
        rated = sorted((m for m in ms if m.final is not None), key=lambda m: m.month)
        total = sum((m.final for m in rated if m.final is not None), Fraction(0))
        scores[w] = (tuple(m.month for m in rated), total / len(rated) if rated else None)
    order = ranks({w: s for w, (_, s) in scores.items()})
    return sorted((PeriodScore(w, period, months, s, order.get(w)) for w, (months, s) in scores.items()),
                  key=lambda p: (p.rank is None, p.rank or 0, p.window_id))

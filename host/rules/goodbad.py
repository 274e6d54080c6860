"""好差评 (good and bad reviews, issue 16): five levels beside the two of R1, bad reviews (差评),
their deadlines in working days, the national statistics and bursts of unsatisfied ratings. Pure.

Levels (contract v1 extension, protocol/asyncapi.yaml): 1 非常不满意, 2 不满意, 3 基本满意,
4 满意, 5 非常满意; levels 3-5 are rating "satisfied", 1-2 "unsatisfied". A two-level pad sends
no level.

Scoring mode (per center, host.calendar.config): ``two_level`` (the default, the 2018 rules:
R1 satisfied 5, unsatisfied 0, whatever level a pad sent) or ``five_level``: an evaluation
with a level is worth the configured points of its level, one without a level keeps R1's
5 / 0. The base score stays the mean (R2: 5 × S / N is the mean of 5s and 0s). The shipped
mapping (5, 5, 5, 0, 0 for levels 5..1) is R1 itself read through the contract (levels 3-5 are
"satisfied"), so switching the mode changes no score until the center sets other points: an
ASSUMPTION shown on the configuration page. Two-level results and the worked examples of
rules.md hold in both modes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction

LEVELS = (1, 2, 3, 4, 5)
BAD_LEVELS = frozenset({1, 2})  # 差评: 非常不满意, 不满意
SATISFIED_LEVELS = frozenset({3, 4, 5})  # 满意率 counts 基本满意 and above
TWO_LEVEL, FIVE_LEVEL = "two_level", "five_level"
MODES = (TWO_LEVEL, FIVE_LEVEL)
FULL = Fraction(5)  # R1: satisfied is worth 5
# ASSUMPTION (shown on the configuration page): R1 through the contract's level -> rating.
DEFAULT_LEVEL_POINTS: dict[int, Fraction] = {5: FULL, 4: FULL, 3: FULL, 2: Fraction(0), 1: Fraction(0)}
DEFAULT_CALLBACK_DAYS = 1  # 回访: within 1 working day
DEFAULT_RECTIFY_DAYS = 15  # 整改: within 15 working days
REASONS = ("efficiency", "skill", "attitude", "other")  # 服务效率, 服务水平, 服务态度, 其他


class BadMapping(ValueError):
    """A level-to-points mapping the score cannot use; the message says what to write."""


def is_bad_review(rating: str | None, level: int | None) -> bool:
    """差评: level 1-2, or, from a pad without levels, rating "unsatisfied" (contract-16)."""
    if level is not None:
        return level in BAD_LEVELS
    return rating == "unsatisfied"


def is_satisfied(rating: str | None, level: int | None) -> bool:
    """满意 for the national 满意率: level 3-5, or rating "satisfied" without a level."""
    if level is not None:
        return level in SATISFIED_LEVELS
    return rating == "satisfied"


def parse_level_points(text: str) -> dict[int, Fraction]:
    """``"5:5,4:4,3:3,2:1,1:0"`` -> {5: 5, 4: 4, ...}: every level once, 0 to 5 points (half points
    and other decimals allowed), never more for a worse level."""
    out: dict[int, Fraction] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        lv, sep, pts = part.partition(":")
        try:
            if not sep:
                raise ValueError
            level, points = int(lv), Fraction(Decimal(pts.strip()))
        except (ValueError, InvalidOperation):
            raise BadMapping(f"{part!r}: write level:points, e.g. 5:5,4:4,3:3,2:1,1:0") from None
        if level not in LEVELS or level in out:
            raise BadMapping(f"{part!r}: each level 1 to 5 once")
        if not 0 <= points <= FULL:
            raise BadMapping(f"{part!r}: points between 0 and 5")
        out[level] = points
    if set(out) != set(LEVELS):
        raise BadMapping(
            f"levels {sorted(set(LEVELS) - set(out))} missing: give all five, e.g. 5:5,4:4,3:3,2:1,1:0"
        )
    if any(out[a] > out[a + 1] for a in LEVELS[:-1]):
        raise BadMapping("a worse level may not be worth more points than a better one")
    return out


def format_level_points(points: Mapping[int, Fraction]) -> str:
    return ",".join(f"{lv}:{_decimal(points[lv])}" for lv in sorted(points, reverse=True))


def _decimal(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else str(Decimal(x.numerator) / Decimal(x.denominator))


def points_total(
    valid: int, satisfied: int, levels: Sequence[int], mode: str, mapping: Mapping[int, Fraction]
) -> Fraction:
    """The points of ``valid`` evaluations (R2's numerator): ``satisfied`` of them satisfied,
    ``levels[k-1]`` of them with level k. Two-level mode, and evaluations without a level: R1."""
    if mode != FIVE_LEVEL or not any(levels):
        return FULL * satisfied
    with_level_satisfied = sum(levels[k - 1] for k in SATISFIED_LEVELS)
    unlevelled_satisfied = satisfied - with_level_satisfied
    if unlevelled_satisfied < 0 or sum(levels) > valid:
        raise ValueError(f"level counts {tuple(levels)} do not fit N={valid}, S={satisfied}")
    return FULL * unlevelled_satisfied + sum((mapping[k] * levels[k - 1] for k in LEVELS), Fraction(0))


# -- deadlines in working days ---------------------------------------------------------------------


def add_working_days(start: date, days: int, is_working: Callable[[date], bool]) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself not counted): a bad review on
    Wednesday with 1 working day is due by the end of Thursday, or of the next working day after a
    holiday; a make-up working Saturday (调休) counts. ``is_working`` may raise CalendarMissing."""
    if days < 0:
        raise ValueError("days must be >= 0")
    d, left = start, days
    while left:
        d += timedelta(days=1)
        if is_working(d):
            left -= 1
    return d


def is_late(due: date | None, done: date | None, today: date) -> bool:
    """A step is late when done after its due date, or still not done after it."""
    if due is None:
        return False
    return (done if done is not None else today) > due


# -- national statistics ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NationalCounts:
    """Counts of one window (or the center) in one month: N evaluations, the satisfied ones
    (levels 3-5 or "satisfied"), bad reviews, and of those: called back, rectified (each at all,
    and the late ones), still open past a deadline."""

    evaluations: int = 0
    satisfied: int = 0
    bad: int = 0
    called_back: int = 0
    rectified: int = 0
    callback_late: int = 0
    rectify_late: int = 0
    overdue: int = 0

    def __add__(self, other: NationalCounts) -> NationalCounts:
        return NationalCounts(*(a + b for a, b in zip(_astuple(self), _astuple(other), strict=True)))


def _astuple(c: NationalCounts) -> tuple[int, ...]:
    return (
        c.evaluations,
        c.satisfied,
        c.bad,
        c.called_back,
        c.rectified,
        c.callback_late,
        c.rectify_late,
        c.overdue,
    )


@dataclass(frozen=True, slots=True)
class NationalStats:
    counts: NationalCounts
    satisfaction_rate: Fraction | None  # 满意率: satisfied / N
    bad_rate: Fraction | None  # 差评率: bad / N
    callback_rate: Fraction | None  # 回访率: called back / bad
    rectify_rate: Fraction | None  # 整改率: rectified / bad


def _rate(a: int, b: int) -> Fraction | None:
    return Fraction(a, b) if b else None


def national_stats(c: NationalCounts) -> NationalStats:
    """The national 好差评 rates, exact; None where the denominator is 0 (shown as —)."""
    return NationalStats(
        c,
        _rate(c.satisfied, c.evaluations),
        _rate(c.bad, c.evaluations),
        _rate(c.called_back, c.bad),
        _rate(c.rectified, c.bad),
    )


def percent(x: Fraction | None) -> str:
    """A rate as shown: half-up to one decimal, "—" when there is nothing to divide by."""
    if x is None:
        return "—"
    tenths = (x * 1000 + Fraction(1, 2)).__floor__()
    return f"{tenths // 10}.{tenths % 10}%"


# -- bursts of unsatisfied ratings -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BurstRule:
    """A burst: at an unsatisfied press, at least ``share`` of at least ``min_ratings`` ratings of
    the window within the last ``window_ms`` were unsatisfied (default >= 50 % of >= 4 in 15 min)."""

    window_ms: int = 15 * 60_000
    min_ratings: int = 4
    share: Fraction = Fraction(1, 2)


@dataclass(frozen=True, slots=True)
class Burst:
    first: int  # index into the evaluations of the press that started it
    last: int  # the last press that kept it going
    start_ms: int
    last_ms: int
    presses: int  # presses at which the condition held


def in_burst(evals: Sequence[tuple[int, bool]], rule: BurstRule) -> list[bool]:
    """For each press (at_ms, unsatisfied), time-ordered: does the burst condition hold at it?"""
    out: list[bool] = []
    lo = unsat = 0
    for i, (at, bad) in enumerate(evals):
        unsat += bad
        while evals[lo][0] <= at - rule.window_ms:
            unsat -= evals[lo][1]
            lo += 1
        n = i - lo + 1
        out.append(bad and n >= rule.min_ratings and Fraction(unsat, n) >= rule.share)
    return out


def bursts(evals: Sequence[tuple[int, bool]], rule: BurstRule) -> list[Burst]:
    """One burst per run of presses where the condition holds, runs joined while they are less
    than ``window_ms`` apart: one alert per burst, not per press."""
    out: list[Burst] = []
    for i, hot in enumerate(in_burst(evals, rule)):
        if not hot:
            continue
        at = evals[i][0]
        if out and at - out[-1].last_ms < rule.window_ms:
            b = out[-1]
            out[-1] = Burst(b.first, i, b.start_ms, at, b.presses + 1)
        else:
            out.append(Burst(i, i, at, at, 1))
    return out

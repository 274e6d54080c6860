"""Standard count (标准数, R3) from the month's volume, and the shortfall deduction (R4)."""

from __future__ import annotations

from fractions import Fraction

# R3: (lowest V of the bracket, share of V that must be evaluated). "以上" is inclusive.
# The drop at V=50 -> 35, V=51 -> 31 is in the source and is kept.
STANDARD_BRACKETS = ((1, Fraction(7, 10)), (51, Fraction(6, 10)), (101, Fraction(5, 10)))
STANDARD_CAP_FROM = 201            # R3: V > 200 -> a flat 100
STANDARD_CAP = 100

# R4: brackets of the shortfall D = standard - N (upper bound of D inclusive, points).
SHORTFALL_BRACKETS = ((10, 1), (20, 2), (30, 3), (40, 4))
SHORTFALL_MAX_POINTS = 5           # D > 40


def _ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


def standard_count(volume: int) -> int:
    """R3: evaluations a window must collect in a month with ``volume`` accepted cases."""
    if volume < 0:
        raise ValueError(f"volume must be >= 0, got {volume}")
    if volume == 0:
        return 0
    if volume >= STANDARD_CAP_FROM:
        return STANDARD_CAP
    share = next(s for low, s in reversed(STANDARD_BRACKETS) if volume >= low)
    return _ceil(share * volume)


def shortfall(standard: int, valid: int) -> int:
    """R4: D = standard - N when N < standard, else 0."""
    return max(0, standard - valid)


def shortfall_points(d: int) -> int:
    """R4: the deduction for a shortfall of ``d`` evaluations (brackets of the shortfall)."""
    if d <= 0:
        return 0
    return next((points for upper, points in SHORTFALL_BRACKETS if d <= upper), SHORTFALL_MAX_POINTS)

"""R3 standard count and R4 shortfall brackets, at every boundary."""

import pytest

from host.rules.standard import shortfall, shortfall_points, standard_count


@pytest.mark.parametrize(("volume", "standard"), [
    (0, 0), (1, 1), (2, 2), (3, 3), (10, 7), (50, 35), (51, 31), (80, 48), (100, 60),
    (101, 51), (200, 100), (201, 100), (250, 100), (10_000, 100),
])
def test_r3_standard_count_boundaries(volume: int, standard: int) -> None:
    assert standard_count(volume) == standard


def test_r3_keeps_the_drop_from_50_to_51() -> None:
    assert standard_count(50) == 35 and standard_count(51) == 31


def test_r3_ceil_is_exact_not_float() -> None:
    # 0.7 * 30 = 21.000000000000004 in floats; the exact ceiling is 21.
    assert standard_count(30) == 21
    assert standard_count(70) == 42        # 0.6 * 70 = 42.00000000000001 in floats


def test_r3_negative_volume_refused() -> None:
    with pytest.raises(ValueError, match="volume"):
        standard_count(-1)


@pytest.mark.parametrize(("d", "points"), [
    (0, 0), (1, 1), (10, 1), (11, 2), (20, 2), (21, 3), (30, 3), (31, 4), (40, 4), (41, 5), (500, 5),
])
def test_r4_shortfall_brackets(d: int, points: int) -> None:
    assert shortfall_points(d) == points


def test_r4_no_shortfall_when_more_evaluations_than_standard() -> None:
    assert shortfall(48, 40) == 8
    assert shortfall(48, 48) == 0
    assert shortfall(48, 300) == 0

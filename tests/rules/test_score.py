"""R2, R4, R8, R9 on the pure score; display rounding; rankings; hypothesis properties."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from host.rules.score import base_score, month_score, period_scores, ranks, shown
from host.rules.types import Deduction, Span, deduction_key


def closure(at_ms: int, waiver: str | None = None) -> Deduction:
    return Deduction(kind="closure", points=Fraction(1), rule="R5", span=Span(at_ms, at_ms + 600_000),
                     waiver=waiver)


def test_worked_example_1_pure() -> None:
    s = month_score(1, "2026-10", volume=80, volume_source="import", valid=40, satisfied=36)
    assert (s.standard, s.base, s.final, shown(s.final)) == (48, Fraction(9, 2), Fraction(7, 2), "3.50")
    (d,) = s.deductions
    assert (d.kind, d.points, d.rule) == ("shortfall", 1, "R4")


def test_worked_example_2_pure() -> None:
    s = month_score(1, "2026-10", volume=250, volume_source="import", valid=120, satisfied=120,
                    deductions=[closure(1), closure(2, waiver="R7: fault #1")])
    assert s.final == 4 and shown(s.final) == "4.00"


def test_worked_example_3_and_4_pure() -> None:
    s = month_score(1, "2026-10", volume=10, volume_source="import", valid=0, satisfied=0)
    assert (s.standard, s.base, s.final) == (7, 0, 0)
    s = month_score(1, "2026-10", volume=0, volume_source="import", valid=0, satisfied=0)
    assert not s.rated and s.base is None and shown(s.final) == "—"


def test_r8_management_waiver_by_key_including_the_shortfall() -> None:
    plain = month_score(3, "2026-10", volume=80, volume_source="import", valid=40, satisfied=40,
                        deductions=[closure(5)])
    keys = [deduction_key(3, "2026-10", d) for d in plain.deductions]
    assert plain.final == 3
    waived = month_score(3, "2026-10", volume=80, volume_source="import", valid=40, satisfied=40,
                         deductions=[closure(5)], waivers={keys[0]: "pad broken for 9 days"})
    assert waived.final == 4
    assert waived.deductions[0].waiver == "R8：管理科减免：pad broken for 9 days"


def test_r2_exact_fraction_and_half_up_display() -> None:
    assert base_score(3, 2) == Fraction(10, 3)
    assert shown(Fraction(10, 3)) == "3.33"
    assert shown(Fraction(2, 3) * 5) == "3.33"
    assert shown(Fraction(4125, 1000)) == "4.13"      # half-up, not banker's (4.12)
    assert shown(Fraction(4115, 1000)) == "4.12"      # float would give 4.11 here
    assert shown(Fraction(0)) == "0.00" and shown(Fraction(5)) == "5.00"
    with pytest.raises(ValueError):
        base_score(3, 4)


def test_missing_volume_has_no_shortfall_and_says_so() -> None:
    s = month_score(1, "2026-10", volume=None, volume_source="none", valid=5, satisfied=5)
    assert s.standard == 0 and s.final == 5 and s.volume_source == "none"


def test_rankings_share_ties_and_leave_out_not_rated() -> None:
    assert ranks({1: Fraction(4), 2: Fraction(5), 3: Fraction(4), 4: None, 5: Fraction(3)}) == \
        {2: 1, 1: 2, 3: 2, 5: 4}


def test_quarter_mean_of_rated_months() -> None:
    months = [month_score(1, m, volume=0, volume_source="import", valid=v, satisfied=s)
              for m, v, s in (("2026-10", 10, 10), ("2026-11", 10, 5), ("2026-12", 0, 0))]
    months.append(month_score(2, "2026-10", volume=0, volume_source="import", valid=0, satisfied=0))
    (one, two) = period_scores("2026-Q4", months)
    assert (one.window_id, one.score, one.months, one.rank) == (1, Fraction(15, 4), ("2026-10", "2026-11"), 1)
    assert (two.window_id, two.score, two.rank) == (2, None, None)


deductions_st = st.lists(st.builds(
    lambda kind, pts, at, waived: Deduction(kind=kind, points=pts, rule="R5", at_ms=at,
                                            waiver="waived" if waived else None),
    st.sampled_from(["closure", "no_prompt", "refused", "consecutive", "self_eval"]),
    st.sampled_from([Fraction(1), Fraction(5, 2)]), st.integers(0, 10**12), st.booleans()), max_size=12)


@settings(max_examples=300, deadline=None)
@given(volume=st.one_of(st.none(), st.integers(0, 400)), valid=st.integers(0, 400), data=st.data(),
       deductions=deductions_st)
def test_property_final_within_0_and_5(volume: int | None, valid: int, data: st.DataObject,
                                       deductions: list[Deduction]) -> None:
    satisfied = data.draw(st.integers(0, valid))
    s = month_score(1, "2026-10", volume=volume, volume_source="import", valid=valid, satisfied=satisfied,
                    deductions=deductions)
    assert s.final is None or 0 <= s.final <= 5


@settings(max_examples=300, deadline=None)
@given(volume=st.integers(0, 400), valid=st.integers(0, 400), data=st.data(), deductions=deductions_st)
def test_property_one_more_satisfied_never_lowers_the_final(volume: int, valid: int, data: st.DataObject,
                                                            deductions: list[Deduction]) -> None:
    satisfied = data.draw(st.integers(0, valid))
    before = month_score(1, "2026-10", volume=volume, volume_source="import", valid=valid,
                         satisfied=satisfied, deductions=deductions)
    after = month_score(1, "2026-10", volume=volume, volume_source="import", valid=valid + 1,
                        satisfied=satisfied + 1, deductions=deductions)
    assert after.final is not None
    assert before.final is None or after.final >= before.final

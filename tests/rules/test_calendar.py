"""R5 working days: the official calendar with 调休, operator overrides, and no guessing."""

from datetime import date, time

import pytest

from host.rules.calendar import Calendar, CalendarMissing, DayKind, SummerRange, default_summer, is_summer


def test_r5_make_up_saturday_2026_is_working() -> None:
    # chinesecalendar: Saturday 2026-02-28 is a 调休 make-up working day (Spring Festival).
    day = date(2026, 2, 28)
    assert day.weekday() == 5
    assert Calendar().kind(day) is DayKind.WORKING


def test_r5_ordinary_days() -> None:
    cal = Calendar()
    assert cal.kind(date(2026, 10, 12)) is DayKind.WORKING     # Monday
    assert cal.kind(date(2026, 10, 17)) is DayKind.REST        # Saturday
    assert cal.kind(date(2026, 10, 1)) is DayKind.HOLIDAY      # National Day


def test_r5_override_wins_over_the_library() -> None:
    cal = Calendar(overrides={date(2026, 10, 12): False, date(2026, 10, 17): True})
    assert cal.kind(date(2026, 10, 12)) is DayKind.HOLIDAY
    assert cal.kind(date(2026, 10, 17)) is DayKind.WORKING


def test_r5_missing_year_is_an_error_naming_the_date_and_the_fix() -> None:
    with pytest.raises(CalendarMissing) as err:
        Calendar().kind(date(2027, 3, 15))
    text = str(err.value)
    assert "2027-03-15" in text and "evalpad calendar set" in text and "evalpad calendar year 2027" in text


def test_r5_missing_year_covered_by_override_or_declaration() -> None:
    assert Calendar(overrides={date(2027, 1, 1): False}).kind(date(2027, 1, 1)) is DayKind.HOLIDAY
    declared = Calendar(overrides={date(2027, 2, 6): True}, declared_years={2027})
    assert declared.kind(date(2027, 3, 15)) is DayKind.WORKING   # Monday
    assert declared.kind(date(2027, 3, 13)) is DayKind.REST      # Saturday
    assert declared.kind(date(2027, 2, 6)) is DayKind.WORKING    # entered make-up Saturday
    with pytest.raises(CalendarMissing):
        Calendar(declared_years={2027}).kind(date(2028, 1, 3))


def test_r5_summer_range_default_and_configured() -> None:
    assert default_summer(2026) == SummerRange(date(2026, 5, 1), date(2026, 9, 30))
    assert is_summer(date(2026, 7, 1), {})
    assert not is_summer(date(2026, 10, 1), {})
    custom = {2026: SummerRange(date(2026, 7, 1), date(2026, 8, 31))}
    assert not is_summer(date(2026, 6, 30), custom) and is_summer(date(2026, 8, 31), custom)


def test_r5_saturday_hours_only_on_ordinary_rest_saturdays_operator_entered_holiday() -> None:
    """R5: a Saturday the operator entered as off (a holiday notice for a year the library does
    not cover, e.g. National Day 2027) is a holiday, not an ordinary rest Saturday: no
    Saturday service session; an ordinary Saturday of a declared year keeps its hours."""
    from host.rules.sessions import WindowSchedule, sessions_for_day

    national_day, ordinary = date(2027, 10, 2), date(2027, 10, 16)
    assert national_day.weekday() == ordinary.weekday() == 5
    cal = Calendar(overrides={national_day: False}, declared_years={2027})
    saturday_hours = WindowSchedule(saturday_spans=((time(9), time(12)),))
    assert cal.kind(national_day) is DayKind.HOLIDAY
    assert sessions_for_day(national_day, cal.kind(national_day), False, saturday_hours) == []
    assert cal.kind(ordinary) is DayKind.REST
    sessions = sessions_for_day(ordinary, cal.kind(ordinary), False, saturday_hours)
    assert [s.name for s in sessions] == ["saturday-1"]


def test_r5_off_override_on_an_ordinary_rest_saturday_changes_nothing() -> None:
    """Entering "off" for a Saturday the official calendar has as an ordinary rest day keeps it so."""
    day = date(2026, 10, 17)
    assert Calendar(overrides={day: False}).kind(day) is DayKind.REST


def test_r5_off_override_on_a_make_up_saturday_is_no_ordinary_rest_day() -> None:
    """A make-up working Saturday (调休) the center closes after all is not an ordinary rest Saturday."""
    day = date(2026, 2, 28)
    assert Calendar(overrides={day: False}).kind(day) is DayKind.HOLIDAY

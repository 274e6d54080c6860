"""The scoring mode per center (two-level default, five-level with configurable level points) and
the national statistics of the monthly report, on SQLite and PostgreSQL (R1, R2, R12, issue 16)."""

from __future__ import annotations

import random
from datetime import date, time
from fractions import Fraction

import pytest
from sqlmodel import col, select

from host.calendar import config
from host.calendar.config import ConfigError
from host.models import AuditEntry, Event
from host.rules.goodbad import is_bad_review, is_satisfied
from host.rules.month_span import month_span
from host.rules.score import shown
from host.scoring.months import month_view
from host.scoring.national import month_national
from tests.goodbad.facts import press
from tests.scoring.world import NOV, World, always_on_window, sh

WORKDAY = date(2026, 11, 18)


def _example_1(world: World) -> int:
    """Worked example 1 (V=80, N=40, S=36) pressed on a five-level pad: 36 at levels 3-5, 4 at 1-2."""
    wid = always_on_window(world)
    t = sh(WORKDAY, time(9))
    for i, level in enumerate([5] * 20 + [4] * 10 + [3] * 6 + [2] * 3 + [1]):
        press(world, "pad-A01", wid, t + i * 30_000, level=level)
    world.volume(NOV, A01=80)
    return wid


def _score(world: World):  # type: ignore[no-untyped-def]
    with world.session() as s:
        (r,) = month_view(s, NOV, world.clock).results
    return r.score


def _set(world: World, key: str, value: str) -> None:
    with world.session() as s:
        config.set_setting(s, world.clock, key, value, by="管理科", reason="好差评 test")


def test_worked_example_1_holds_in_both_modes_with_the_shipped_points(world: World) -> None:
    _example_1(world)
    two = _score(world)
    assert (two.valid, two.satisfied, two.base, shown(two.final)) == (40, 36, Fraction(9, 2), "3.50")
    _set(world, config.SCORING_MODE, "five_level")
    five = _score(world)
    assert (five.base, shown(five.final)) == (Fraction(9, 2), "3.50")
    with world.session() as s:
        view = month_view(s, NOV, world.clock)
    assert any("五级评价各级分值" in a for a in view.assumptions)  # the shipped mapping is an assumption


def test_five_level_points_change_the_base_and_two_level_mode_ignores_them(world: World) -> None:
    _example_1(world)
    _set(world, config.LEVEL_POINTS, "5:5,4:4,3:3,2:1,1:0")
    assert _score(world).base == Fraction(9, 2)  # still two-level: R2 as it stands
    _set(world, config.SCORING_MODE, "five_level")
    # (20×5 + 10×4 + 6×3 + 3×1 + 0) / 40 = 161/40
    assert _score(world).base == Fraction(161, 40)
    with world.session() as s:
        rows = s.exec(
            select(AuditEntry).where(AuditEntry.action == "setting.set").order_by(col(AuditEntry.id))
        ).all()
        assert [(r.subject, r.detail["new"]) for r in rows] == [
            ("level_points", "5:5,4:4,3:3,2:1,1:0"),
            ("scoring_mode", "five_level"),
        ]


def test_two_level_pads_keep_r1_in_five_level_mode(world: World) -> None:
    wid = always_on_window(world)
    world.evals("pad-A01", wid, sh(WORKDAY, time(9)), satisfied=3, unsatisfied=1)
    press(world, "pad-A01", wid, sh(WORKDAY, time(10)), level=4)
    _set(world, config.LEVEL_POINTS, "5:5,4:4,3:3,2:1,1:0")
    _set(world, config.SCORING_MODE, "five_level")
    assert _score(world).base == Fraction(3 * 5 + 4, 5)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (config.SCORING_MODE, "three_level"),
        (config.LEVEL_POINTS, "5:5,4:6,3:3,2:1,1:0"),
        (config.CALLBACK_DAYS, "-1"),
        (config.BURST_SHARE_PCT, "0"),
        (config.BURST_WINDOW_MS, "1000"),
    ],
)
def test_bad_settings_are_refused_with_what_to_write(world: World, key: str, value: str) -> None:
    with world.session() as s, pytest.raises(ConfigError):
        config.set_setting(s, world.clock, key, value, by="管理科", reason="typo")


def test_national_rates_per_window_and_center(world: World) -> None:
    a = always_on_window(world, "A01")
    b = always_on_window(world, "B01")
    t = sh(WORKDAY, time(9))
    for i, level in enumerate([5, 4, 3, 2]):  # A01: 3 of 4 satisfied, 1 bad
        press(world, "pad-A01", a, t + i * 60_000, level=level)
    world.evals("pad-B01", b, t, satisfied=1, unsatisfied=1)  # B01: two-level pad
    press(world, "pad-B01", b, sh(date(2026, 12, 1), time(0)), level=1)  # December: not November
    press(world, "pad-B01", b, sh(date(2026, 11, 1), time(0)), level=1)  # the first ms of November
    with world.session() as s:
        nat = month_national(s, NOV, world.clock.now_ms())
    assert nat.windows[a].satisfaction_rate == Fraction(3, 4) and nat.windows[a].bad_rate == Fraction(1, 4)
    assert nat.windows[b].counts.evaluations == 3 and nat.windows[b].counts.bad == 2
    assert nat.windows[a].callback_rate == 0  # a bad review, no 回访 yet
    assert nat.center.counts.evaluations == 7 and nat.center.satisfaction_rate == Fraction(4, 7)


def test_national_counts_from_the_daily_counts_equal_a_recount_of_the_events(world: World) -> None:
    """The national N, 满意 and 差评 are read from the daily counts (a month of a big center is
    ~30 rows per window, not millions of events): equal, window by window, to classifying every
    evaluation pressed in the month (host.rules.goodbad), five-level and two-level pads mixed,
    presses at the month's edges and on pads without a window included."""
    rng = random.Random(16)
    wins = [always_on_window(world, n) for n in ("A01", "A02", "B01")]
    edges = [sh(date(2026, 10, 31), time(23, 59)), sh(date(2026, 11, 1), time(0)),
             sh(date(2026, 11, 30), time(23, 59, 59)), sh(date(2026, 12, 1), time(0))]
    for i in range(300):
        day = date(2026, 11, rng.randint(1, 30))
        at = rng.choice(edges) if i % 10 == 0 else sh(day, time(rng.randint(8, 17)))
        wid = rng.choice([*wins, None]) if i % 25 else None
        if rng.random() < 0.5:
            press(world, f"pad-{i % 3}", wid, at + i, level=rng.randint(1, 5))
        else:
            press(world, f"pad-{i % 3}", wid, at + i, rating=rng.choice(("satisfied", "unsatisfied")))
    span = month_span(NOV)
    recount: dict[int, list[int]] = {}
    with world.session() as s:
        month = select(Event).where(Event.type == "eval", col(Event.at_ms) >= span.start_ms,
                                    col(Event.at_ms) < span.end_ms, col(Event.window_id).is_not(None))
        for e in s.exec(month):
            c = recount.setdefault(int(e.window_id or 0), [0, 0, 0])
            c[0] += 1
            c[1] += is_satisfied(e.rating, e.level)
            c[2] += is_bad_review(e.rating, e.level)
        nat = month_national(s, NOV, world.clock.now_ms())
    got = {w: [st.counts.evaluations, st.counts.satisfied, st.counts.bad] for w, st in nat.windows.items()}
    assert got == recount and sum(n for n, _, _ in recount.values()) > 200

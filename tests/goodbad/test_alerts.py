"""Live alerts (issue 16) on SQLite and PostgreSQL: a bad review alerts, a burst of unsatisfied
ratings alerts once per burst (not per press), stale presses alert no one, and the burst rule is
the center's setting."""

from __future__ import annotations

from sqlmodel import col, select

from host.calendar import config
from host.goodbad import alerts
from host.goodbad.watch import check
from host.models import Alert, BadReview
from tests.goodbad.facts import press
from tests.scoring.world import MIN, World, always_on_window

DAY = 86_400_000


def _window(world: World) -> int:
    now = world.clock.now_ms()
    return always_on_window(world, "A01", start=now - 2 * DAY, end=now + DAY)


def _live(world: World, wid: int, ratings: str, start_ms: int, step_ms: int = MIN) -> list[Alert]:
    """Press ``ratings`` ("u" unsatisfied, "s" satisfied) one by one, the watch looking after each."""
    found: list[Alert] = []
    for i, r in enumerate(ratings):
        at = start_ms + i * step_ms
        world.clock.set(at + 1_000)
        e = press(world, "pad-A01", wid, at, rating="unsatisfied" if r == "u" else "satisfied")
        assert e.id is not None
        with world.session() as s:
            found += check(s, after_id=e.id - 1, now_ms=world.clock.now_ms())[1]
    return found


def _alerts(world: World) -> list[Alert]:
    with world.session() as s:
        return list(s.exec(select(Alert).order_by(col(Alert.id))).all())


def test_a_burst_alerts_once_not_per_press(world: World) -> None:
    wid = _window(world)
    start = world.clock.now_ms()
    raised = _live(world, wid, "uuuuuuuu", start)  # 8 unsatisfied presses, a minute apart
    kinds = [a.kind for a in raised]
    assert kinds == [alerts.BAD_REVIEW, alerts.BURST]  # the first bad review, then the burst at the 4th
    bad, burst = _alerts(world)
    assert (bad.presses, burst.presses, burst.first_ms) == (3, 5, start + 3 * MIN)
    assert (burst.ratings, burst.unsatisfied) == (8, 8)
    # The watch looking again over the same presses changes nothing (idempotent).
    with world.session() as s:
        assert check(s, after_id=0, now_ms=world.clock.now_ms())[1] == []
    assert [(a.presses, a.event_ids) for a in _alerts(world)] == [
        (bad.presses, bad.event_ids),
        (burst.presses, burst.event_ids),
    ]
    # Every press still opened its own case: the alert folds presses, the workflow does not.
    with world.session() as s:
        assert len(s.exec(select(BadReview)).all()) == 8


def test_a_new_burst_after_a_quiet_spell_alerts_again(world: World) -> None:
    wid = _window(world)
    start = world.clock.now_ms()
    first = _live(world, wid, "uuuu", start)
    second = _live(world, wid, "uuuu", start + 30 * MIN)
    assert [a.kind for a in first] == [a.kind for a in second] == [alerts.BAD_REVIEW, alerts.BURST]


def test_boundaries_of_the_default_burst(world: World) -> None:
    wid = _window(world)
    start = world.clock.now_ms()
    # 2 of 4 unsatisfied (50 %): a burst at the 4th rating; the 2nd rating's bad review came first.
    assert [a.kind for a in _live(world, wid, "susu", start)] == [alerts.BAD_REVIEW, alerts.BURST]


def test_under_half_is_no_burst_and_one_bad_review_alert_takes_in_the_next(world: World) -> None:
    wid = _window(world)
    raised = _live(world, wid, "ssusssus", world.clock.now_ms())  # 2 of 8, and at most 1 of 4... < 50 %
    assert [a.kind for a in raised] == [alerts.BAD_REVIEW]
    assert _alerts(world)[0].presses == 2


def test_the_burst_rule_is_the_centers_setting(world: World) -> None:
    wid = _window(world)
    with world.session() as s:
        config.set_setting(s, world.clock, config.BURST_MIN_RATINGS, "6", by="管理科", reason="窗口人多")
    raised = _live(world, wid, "uuuuu", world.clock.now_ms())
    assert [a.kind for a in raised] == [alerts.BAD_REVIEW]  # 5 ratings: below the 6 now needed


def test_presses_older_than_an_hour_alert_no_one_but_open_cases(world: World) -> None:
    wid = _window(world)
    now = world.clock.now_ms()
    e = press(world, "pad-A01", wid, now - 2 * 3_600_000, level=1, received_ms=now)  # pad was offline
    assert e.id is not None
    with world.session() as s:
        _, raised, opened = check(s, after_id=e.id - 1, now_ms=now)
    assert raised == [] and opened == 1

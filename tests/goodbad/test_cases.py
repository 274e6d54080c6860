"""差评工单 (issue 16) on SQLite and PostgreSQL: every bad review opens one case for its window's
department, with the pad's reasons; deadlines in working days from the center's calendar
(National Day 2026 and its make-up Saturday); 回访, 整改 and closure, each audited (R12);
overdue cases; 回访率 and 整改率 at their boundaries."""

from __future__ import annotations

from datetime import date, time
from fractions import Fraction

import pytest
from sqlmodel import col, select

from host.calendar import config
from host.errors import Conflict
from host.faults.sweep import sweep
from host.goodbad import cases
from host.goodbad.watch import check
from host.models import AuditEntry, BadReview, Window
from host.scoring.national import month_national
from tests.goodbad.facts import press, reason
from tests.scoring.world import NOV, World, always_on_window, sh

EVE = sh(date(2026, 9, 30), time(16))  # Wednesday before National Day 2026


def _window(world: World, number: str = "A01") -> int:
    wid = always_on_window(world, number, start=sh(date(2026, 9, 1)))
    with world.session() as s:
        w = s.get(Window, wid)
        assert w is not None
        w.department = "区市场监管局"
        s.add(w)
        s.commit()
    return wid


def _cases(world: World) -> list[BadReview]:
    with world.session() as s:
        return list(s.exec(select(BadReview).order_by(col(BadReview.at_ms))).all())


def _audit(world: World, action: str) -> list[AuditEntry]:
    with world.session() as s:
        return list(s.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def test_a_bad_review_opens_one_case_with_reasons_and_deadlines_across_national_day(world: World) -> None:
    wid = _window(world)
    good = press(world, "pad-A01", wid, EVE - 60_000, level=4)
    bad = press(world, "pad-A01", wid, EVE, level=2, case_no="SH2026093000017", item="营业执照变更")
    reason(world, bad, ["attitude", "efficiency"])
    assert good.id is not None
    with world.session() as s:
        _, _, opened = check(s, after_id=good.id - 1, now_ms=world.clock.now_ms())
    assert opened == 1
    (c,) = _cases(world)
    assert (c.event_id, c.window_id, c.department, c.level, c.case_no, c.item) == (
        bad.id,
        wid,
        "区市场监管局",
        2,
        "SH2026093000017",
        "营业执照变更",
    )
    assert c.reasons == ["attitude", "efficiency"]
    # 回访 within 1 working day: Thu 8 Oct (1-7 Oct off); 整改 within 15: Tue 27 Oct, the make-up
    # working Saturday 10 Oct (调休) counted.
    assert (c.callback_due, c.rectify_due) == (date(2026, 10, 8), date(2026, 10, 27))
    # Idempotent: the watch again, and the sweep's catch-up over the same events, open nothing more.
    with world.session() as s:
        assert check(s, after_id=good.id - 1, now_ms=world.clock.now_ms())[2] == 0
        assert cases.open_since(s, config.load_config(s), EVE - 86_400_000, world.clock.now_ms()) == 0
    assert len(_cases(world)) == 1 and len(_audit(world, "badreview.open")) == 1


def test_unsatisfied_without_level_is_a_bad_review_the_sweep_opens(world: World) -> None:
    wid = _window(world)
    world.clock.set(sh(date(2026, 10, 9), time(10)))
    press(world, "pad-A01", wid, sh(date(2026, 10, 9), time(9)), rating="unsatisfied")  # Friday
    press(world, "pad-A01", wid, sh(date(2026, 10, 9), time(9, 5)), rating="satisfied")
    with world.session() as s:
        result = sweep(s, now_ms=world.clock.now_ms())
    assert result.cases_opened == 1
    (c,) = _cases(world)
    assert c.level is None and c.callback_due == date(2026, 10, 10)  # the 调休 Saturday is a working day


def test_deadlines_are_configurable(world: World) -> None:
    wid = _window(world)
    with world.session() as s:
        config.set_setting(s, world.clock, config.CALLBACK_DAYS, "2", by="管理科", reason="本中心规定")
        config.set_setting(s, world.clock, config.RECTIFY_DAYS, "5", by="管理科", reason="本中心规定")
    press(world, "pad-A01", wid, EVE, level=1)
    with world.session() as s:
        cases.open_since(s, config.load_config(s), EVE - 1, world.clock.now_ms())
    (c,) = _cases(world)
    # 8, 9, 10 (调休), 12, 13 Oct
    assert (c.callback_due, c.rectify_due) == (date(2026, 10, 9), date(2026, 10, 13))


def test_a_deadline_the_calendar_cannot_give_waits_for_the_calendar(world: World) -> None:
    wid = _window(world)
    press(world, "pad-A01", wid, sh(date(2026, 12, 21), time(9)), level=1)  # 15 working days reach 2027
    with world.session() as s:
        cases.open_since(s, config.load_config(s), sh(date(2026, 12, 1)), world.clock.now_ms())
    (c,) = _cases(world)
    assert c.callback_due == date(2026, 12, 22) and c.rectify_due is None
    with world.session() as s:
        config.declare_year(s, world.clock, 2027, by="管理科", reason="国务院办公厅通知已录入")
        cases.open_since(s, config.load_config(s), sh(date(2026, 12, 1)), world.clock.now_ms())
    (c,) = _cases(world)
    assert c.rectify_due == date(2027, 1, 11)  # 22-25, 28-31 Dec, 1 (declared: ordinary week), 4-8, 11 Jan


def test_steps_in_order_each_audited_and_closure_needs_both(world: World) -> None:
    wid = _window(world)
    press(world, "pad-A01", wid, EVE, level=1)
    with world.session() as s:
        cases.open_since(s, config.load_config(s), EVE - 1, world.clock.now_ms())
    (c,) = _cases(world)
    assert c.id is not None
    world.clock.set(sh(date(2026, 10, 8), time(10)))
    with world.session() as s:
        with pytest.raises(cases.CaseError):
            cases.close_case(s, world.clock, c.id, note="结案", by="管理科:张")
        cases.call_back(s, world.clock, c.id, outcome="群众反映等候过久，已致歉", by="管理科:张")
        with pytest.raises(Conflict):
            cases.call_back(s, world.clock, c.id, outcome="again", by="管理科:张")
        cases.add_evidence(s, world.clock, c.id, text="叫号记录：等候 52 分钟", by="管理科:张")
        cases.rectify(s, world.clock, c.id, action="高峰时段增开一个窗口", by="区市场监管局:李")
        done = cases.close_case(s, world.clock, c.id, note="整改到位", by="管理科:张")
        assert done.status == cases.CLOSED
    steps = [_audit(world, f"badreview.{a}") for a in ("callback", "rectify", "close", "evidence")]
    actions = [a.action for a in sorted((a for rows in steps for a in rows), key=lambda a: a.id or 0)]
    assert actions == ["badreview.callback", "badreview.evidence", "badreview.rectify", "badreview.close"]
    assert [a.detail["late"] for a in _audit(world, "badreview.callback")] == [False]  # on the due day


def test_overdue_from_the_day_after_the_due_date(world: World) -> None:
    wid = _window(world)
    press(world, "pad-A01", wid, EVE, level=2)
    with world.session() as s:
        cases.open_since(s, config.load_config(s), EVE - 1, world.clock.now_ms())
        world.clock.set(sh(date(2026, 10, 8), time(23, 59)))
        assert cases.overdue_cases(s, world.clock.now_ms()) == []
        world.clock.set(sh(date(2026, 10, 9)))
        overdue = cases.overdue_cases(s, world.clock.now_ms())
        assert [c.event_id for c in overdue] == [_cases(world)[0].event_id]


def test_callback_and_rectify_rates_at_their_boundaries(world: World) -> None:
    wid = _window(world)
    day = sh(date(2026, 11, 18), time(9))
    press(world, "pad-A01", wid, day, level=5)
    with world.session() as s:
        # no bad review: no rate
        assert month_national(s, NOV, world.clock.now_ms()).windows[wid].callback_rate is None
    press(world, "pad-A01", wid, day + 60_000, level=1)
    press(world, "pad-A01", wid, day + 120_000, level=2)
    world.clock.set(sh(date(2026, 11, 18), time(12)))
    with world.session() as s:
        cases.open_since(s, config.load_config(s), day - 1, world.clock.now_ms())
        first, second = _cases(world)
        assert first.id is not None and second.id is not None
        cases.call_back(s, world.clock, first.id, outcome="已回访", by="管理科:张")
        nat = month_national(s, NOV, world.clock.now_ms()).windows[wid]
        assert (nat.callback_rate, nat.rectify_rate) == (Fraction(1, 2), 0)
        world.clock.set(sh(date(2026, 11, 20), time(9)))  # second's 回访 was due 19 Nov: late now
        cases.call_back(s, world.clock, second.id, outcome="已回访", by="管理科:张")
        cases.rectify(s, world.clock, first.id, action="已整改", by="区市场监管局:李")
        nat = month_national(s, NOV, world.clock.now_ms()).windows[wid]
        assert (nat.callback_rate, nat.rectify_rate, nat.counts.callback_late) == (1, Fraction(1, 2), 1)


def test_the_sweeps_catch_up_commits_in_chunks_and_gives_way_between(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    wid = _window(world)
    for i in range(5):
        press(world, "pad-A01", wid, EVE + i * 60_000, level=1)
    monkeypatch.setattr(cases, "CHUNK", 2)
    paused: list[int] = []
    with world.session() as s:
        opened = cases.open_since(
            s,
            config.load_config(s),
            EVE - 1,
            world.clock.now_ms(),
            pace=lambda: paused.append(len(_cases(world))),
        )
    assert opened == 5 and paused == [2, 4, 5]  # each chunk committed before the pause

"""好差评 over National Day 2026 (issue 16): a five-level hall whose queue system prompts with case
numbers, bad reviews the management section calls back (回访) and rectifies (整改) through the host's
services on the simulated clock, some late and some never; the checker compares the host's national
statistics (满意率, 差评率, 回访率, 整改率) and overdue cases with the truth, whose deadlines come from
the official calendar itself (simulator/workdays.py), never from the host's calendar.

The two-level hall beside it (tests/simulator/test_end_to_end.py, three-days) keeps its scores: the
management side plans with its own random stream and only for scenarios with a ``goodbad`` section.
"""

from __future__ import annotations

from datetime import date, datetime
from fractions import Fraction

import pytest
from sqlmodel import Session, select

from host.clock import RULES_TZ, to_ms
from host.db import make_engine
from host.models.audit import AuditEntry
from host.models.goodbad import BadReview
from host.rules.goodbad import NationalCounts
from host.scoring.national import judge
from simulator import checker, scenario
from simulator.behaviour import Planner, plan_handling
from simulator.run import simulate
from simulator.scenario import GoodBad, parse
from simulator.truth import Truth, truth_cases, truth_national
from tests.support.services import need_mosquitto

HOLIDAY_EVE = date(2026, 9, 30)      # 10-01..07 National Day; 10-10 (Saturday) a make-up working day


def at(day: date, hh: int, mm: int = 0) -> int:
    return to_ms(datetime(day.year, day.month, day.day, hh, mm, tzinfo=RULES_TZ))


# -- the truth's own deadlines (fast, no host) ----------------------------------------------------

HALL = """\
hall:
  name: 测试
  windows:
    - {number: A01, name: 综合受理}
period: {start: 2026-09-28, end: 2026-10-12}
pads: {layout: five}
goodbad: {callback_days: 1, rectify_days: 3}
"""


def test_the_truth_counts_working_days_across_national_day() -> None:
    sc = parse(HALL)
    t = Truth()
    t.evaluation(at(HOLIDAY_EVE, 10), "A01", "unsatisfied", True, level=1, case="QP1")
    t.evaluation(at(HOLIDAY_EVE, 11), "A01", "unsatisfied", True, level=2, case="QP2")
    t.evaluation(at(HOLIDAY_EVE, 12), "A01", "satisfied", True, level=3, case="QP3")
    c1, c2 = truth_cases(t, GoodBad(callback_days=1, rectify_days=3))
    assert c1.callback_due == date(2026, 10, 8)          # the first working day after the holiday
    assert c1.rectify_due == date(2026, 10, 10)          # 10-08, 10-09, the 调休 Saturday
    # On the due day nothing is overdue yet; the day after, the case not called back is.
    on_due = truth_national(sc, t, "2026-09", at(date(2026, 10, 8), 18))["A01"]
    assert on_due.overdue == () and on_due.callback_late == 0
    t.handled("A01", at(HOLIDAY_EVE, 11), "callback", at(date(2026, 10, 9), 10))   # a day late
    c2 = truth_cases(t, GoodBad(callback_days=1, rectify_days=3))[1]
    after = truth_national(sc, t, "2026-09", at(date(2026, 10, 9), 18))["A01"]
    assert [c.name() for c in after.overdue] == ["QP1"]
    counts = (after.evaluations, after.satisfied, after.bad, after.called_back, after.callback_late)
    assert counts == (3, 1, 2, 1, 2)
    assert after.rates["callback_rate"] == Fraction(1, 2) and after.rates["bad_rate"] == Fraction(2, 3)
    assert c2.late(date(2026, 10, 9)) == (True, False)


def test_the_handling_plan_keeps_to_its_shares_and_the_calendar() -> None:
    sc = parse(HALL + "behaviour: {default: {callback_late_share: 0.5, rectify_share: 0.0}}\n")
    plans = [plan_handling(sc, "A01", at(HOLIDAY_EVE, 10, m), sc.goodbad or GoodBad()) for m in range(60)]
    assert all(p.rectify_at is None for p in plans)
    for p in plans:
        assert p.callback_at is not None
        day = datetime.fromtimestamp(p.callback_at / 1000, RULES_TZ).date()
        # on time: the eve itself or 10-08; late: 1-2 working days after it (10-09, the 调休 10-10)
        late = {date(2026, 10, 9), date(2026, 10, 10)}
        assert day in (late if p.callback_late else {HOLIDAY_EVE, date(2026, 10, 8)})
    assert 10 < sum(p.callback_late for p in plans) < 50
    # Citizens' plans do not depend on the management side.
    plain = parse(HALL)
    w = sc.hall.windows[0]
    assert Planner(sc).plan_day(w, HOLIDAY_EVE).actions == Planner(plain).plan_day(w, HOLIDAY_EVE).actions


def test_the_checker_lists_each_difference_in_rates_and_overdue_cases() -> None:
    """The host's side built as host.scoring.national.judge builds it: one more 回访 than the truth
    and a case the truth calls overdue that the host does not list."""
    sc = parse(HALL)
    t = Truth()
    t.evaluation(at(HOLIDAY_EVE, 10), "A01", "unsatisfied", True, level=1, case="QP1")
    t.evaluation(at(HOLIDAY_EVE, 12), "A01", "satisfied", True, level=4, case="QP3")
    now = at(date(2026, 10, 9), 18)
    truth = truth_national(sc, t, "2026-09", now)
    same = judge("2026-09", {7: NationalCounts(2, 1, 1, 0, 0, 1, 0, 1)})
    case = BadReview(event_id=1, window_id=7, device_id="sim-a01", seq=1, at_ms=at(HOLIDAY_EVE, 10) + 40,
                     rating="unsatisfied", level=1, case_no="QP1", opened_ms=now)
    rows = checker.compare_national(sc, "2026-09", same, [case], truth, {"A01": 7})
    assert checker.summary(rows) == "全部 1 个窗口与真实情况一致"
    other = judge("2026-09", {7: NationalCounts(2, 1, 1, 1, 0, 1, 0, 0)})
    (row,) = checker.compare_national(sc, "2026-09", other, [], truth, {"A01": 7})
    assert row.differences == ["called_back", "callback_rate", "overdue"]
    assert row.host["callback_rate"] == 1 and row.truth["overdue"] == ("QP1",)


# -- the whole hall through the real host -----------------------------------------------------------

@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    need_mosquitto()
    sc = scenario.load("goodbad-holiday")
    # Short: two windows, 09-30 .. 10-09 (the holiday's eve, the holiday, two working days after it),
    # on an unpaced clock: ~60 s of CPU here.
    sc = sc.model_copy(update={
        "period": sc.period.model_copy(update={"start": HOLIDAY_EVE, "end": date(2026, 10, 9)}),
        "hall": sc.hall.model_copy(update={"windows": sc.hall.windows[:2]})})
    work = tmp_path_factory.mktemp("goodbad")
    out = simulate(sc, work / "sim")
    return sc, out


@pytest.mark.broker
@pytest.mark.slow
def test_the_national_statistics_and_overdue_cases_agree_with_the_truth(played: tuple) -> None:
    _, out = played
    assert set(out.national) == {"2026-09", "2026-10"}
    for month, rows in out.national.items():
        agree = "全部 2 个窗口与真实情况一致"
        assert checker.summary(rows) == agree, [(r.host, r.truth) for r in rows]
        assert checker.summary(out.rows[month]) == agree   # the 5-point scores
    rows = [r.truth for rs in out.national.values() for r in rs]
    # The month had late steps, steps never done and cases overdue at the end, not only tidy ones.
    assert sum(int(r["callback_late"]) for r in rows) > 0      # type: ignore[call-overload]
    assert sum(len(r["overdue"]) for r in rows) > 0             # type: ignore[arg-type]
    assert sum(int(r["called_back"]) for r in rows) > 0         # type: ignore[call-overload]
    assert sum(int(r["rectified"]) for r in rows) > 0           # type: ignore[call-overload]
    assert out.stats.sync_timeouts == 0


@pytest.mark.broker
@pytest.mark.slow
def test_every_case_has_the_calendars_deadlines_and_its_steps_are_audited(played: tuple) -> None:
    sc, out = played
    want = {c.name(): c for c in truth_cases(out.truth, sc.goodbad)}
    with Session(make_engine(out.db_url)) as s:
        host = s.exec(select(BadReview)).all()
        steps = s.exec(select(AuditEntry).where(AuditEntry.actor == "管理科-sim")).all()
    assert host and all(c.case_no for c in host)           # the queue system prompted every citizen
    assert sorted(c.case_no for c in host) == sorted(want)   # type: ignore[type-var]
    for c in host:
        t = want[c.case_no]                                  # type: ignore[index]
        assert (c.callback_due, c.rectify_due) == (t.callback_due, t.rectify_due), c.case_no
    eve = [c for c in want.values() if datetime.fromtimestamp(c.at_ms / 1000, RULES_TZ).date() == HOLIDAY_EVE]
    assert eve and {c.callback_due for c in eve} == {date(2026, 10, 8)}
    done = sum(len(v) for v in out.truth.steps.values())
    recorded = ("badreview.callback", "badreview.rectify", "badreview.close")
    assert sum(e.action in recorded for e in steps) == done

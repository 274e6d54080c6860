"""A whole simulated month of a small hall through everything real, month close included.

Four pads on the real firmware, the real Mosquitto and the real host (its own process on the
shared accelerated clock) play October 2026 (simulator/scenarios/ci-month.yaml): the National Day
holiday, the make-up working Saturday (调休) on 10 Oct, Saturday hours, noon duty, a month end,
and one incident of every kind. At the end the management section closes the month (R11) and
the checker compares the closed report with the ground truth window by window: it may show
only its documented differences (simulator.checker.DOCUMENTED), and with those applied to the
truth (``as_host_knows``) nothing may differ at all, final score included.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from host.clock import local
from host.db import make_engine
from host.models import Event, RejectedMessage
from simulator import checker, scenario
from simulator.run import CLOSED_BY, simulate
from simulator.truth import Truth
from tests.support.services import need_mosquitto

# A whole month through everything real takes minutes (3-10 here, by how busy the machine is):
# more than the suite's per-test limit, which is for tests that hang.
pytestmark = [pytest.mark.broker, pytest.mark.slow, pytest.mark.timeout(1800)]

MONTH = "2026-10"
MAKE_UP_SATURDAY = date(2026, 10, 10)      # 调休: a working Saturday with the weekday sessions
ORDINARY_SATURDAY = date(2026, 10, 17)     # B01's Saturday hours (便民窗口, R5)
MONTH_END = date(2026, 10, 31)             # a Saturday: B01 serves


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    need_mosquitto()
    work = tmp_path_factory.mktemp("month")
    sc = scenario.load("ci-month")
    out = simulate(sc, work / "sim", close=True)
    return sc, out


def test_the_month_was_played_whole_and_closed(played: tuple) -> None:
    sc, out = played
    assert out.stats.sim_ms == sc.end_ms - sc.start_ms
    assert out.stats.sync_timeouts == 0          # the host kept pace with the clock
    assert out.closed == [MONTH]
    view = out.views[MONTH]
    assert view.status == "closed" and view.closed is not None and view.closed["by"] == CLOSED_BY
    assert view.late_events == ()
    with Session(make_engine(out.db_url)) as s:
        assert s.exec(select(RejectedMessage)).all() == []
        stored = len(s.exec(select(Event).where(Event.type == "eval")).all())
    phantoms = sum(n.kind == "phantom_press" for n in out.truth.notes)
    assert stored == len(out.truth.evals) + phantoms > 300


def test_the_calendar_was_lived_through(played: tuple) -> None:
    """Evaluations on the 调休 Saturday, in Saturday hours, at noon duty and on the month's last day;
    none in the National Day holiday (R5 sessions, host.rules.calendar)."""
    _, out = played
    days: dict[tuple[str, date], list[int]] = {}
    for e in out.truth.evals:
        t = local(e.at_ms)
        days.setdefault((e.window, t.date()), []).append(t.hour)
    on = {d for (_, d) in days}
    assert MAKE_UP_SATURDAY in on
    assert ("B01", ORDINARY_SATURDAY) in days and ("A01", ORDINARY_SATURDAY) not in days
    assert ("B01", MONTH_END) in days
    assert not any(date(2026, 10, 1) <= d <= date(2026, 10, 7) for d in on)
    assert any(w == "P01" and 12 in hours for (w, _), hours in days.items())    # noon duty


def test_the_host_agrees_with_the_truth_it_can_know(played: tuple) -> None:
    """With the documented differences applied, every key of every window agrees (final included)."""
    _, out = played
    for row in out.known[MONTH]:
        assert row.differences == [], (row.window, row.host, row.truth)
        assert "final" in row.truth


def test_the_checker_shows_only_its_documented_differences(played: tuple) -> None:
    sc, out = played
    rows = out.rows[MONTH]
    # Where each documented difference must show, from the scenario and the truth.
    wifi = {w.number for inc in sc.incidents if inc.kind == "network_loss" for w in sc.incident_windows(inc)}
    phantom = {n.window for n in out.truth.notes if n.kind == "phantom_press"}
    known_truth = checker.as_host_knows(out.truth)
    undatable = {w for w in wifi if _no_prompts(out.truth, w) != _no_prompts(known_truth, w)}
    assert wifi == {"A01", "B01"} and phantom == {"A01"} and undatable == {"A01"}
    explained = checker.documented(rows, out.known[MONTH])
    assert set(explained) == {r.window for r in rows if r.differences}     # nothing unexplained
    assert set(explained) == wifi | phantom
    for window, keys in explained.items():
        allowed = ({"closures", "final"} if window in wifi else set()) | \
                  ({"N", "S", "final"} if window in phantom else set()) | \
                  ({"no_prompt"} if window in undatable else set())
        assert set(keys) <= allowed and keys, (window, keys)
    assert "closures" in explained["B01"] and {"N", "S", "closures"} <= set(explained["A01"])
    # What `evalpad simulate` prints: each documented reason with its windows, nothing unexplained.
    lines = checker.explain(rows, out.known[MONTH], out.truth)
    assert lines[-1] == "未解释的差异：无", lines
    assert [line.split("——")[0] for line in lines[:-1]] == [
        "已知差异（有意显示）A01、B01", "已知差异（有意显示）A01", "已知差异（有意显示）A01"], lines


def _no_prompts(truth: Truth, window: str) -> int:
    return sum(e.window == window and e.tag in checker.NO_PROMPT_TAGS for e in truth.evals) + \
        sum(n.window == window and n.kind in checker.NO_PROMPT_TAGS for n in truth.notes)

"""Month close and reopen (R11, R12): the closed report stays as fed back; late events wait for a reopen."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlmodel import col, select

from host.models import AuditEntry
from host.rules.month_span import period_months
from host.scoring.months import MonthStateError, close_month, history, month_report, month_view, reopen_month
from host.scoring.periods import period_view
from tests.scoring.world import DAY_MS, NOV, World, always_on_window, sh

WORKDAY = date(2026, 11, 18)


def test_r11_late_event_listed_and_month_unchanged_until_reopen(world: World) -> None:
    wid = always_on_window(world)
    world.evals("pad-A01", wid, sh(WORKDAY, time(9)), satisfied=4)
    with world.session() as s:
        close_month(s, NOV, world.clock, by="mgmt:zhao", reason="November results fed back")
    world.clock.advance(DAY_MS)
    # A pad that was offline for days delivers an unsatisfied evaluation pressed in November.
    (late_id,) = world.evals("pad-A01", wid, sh(WORKDAY, time(16)), satisfied=0, unsatisfied=1,
                             received_ms=world.clock.now_ms())
    with world.session() as s:
        view = month_view(s, NOV, world.clock)
        (r,) = view.results
        assert view.status == "closed" and view.closed is not None and view.closed["by"] == "mgmt:zhao"
        assert (r.score.valid, r.score.satisfied, r.score.final) == (4, 4, 5)
        assert [e["id"] for e in view.late_events] == [late_id]
        with pytest.raises(MonthStateError, match="已关账"):
            close_month(s, NOV, world.clock, by="mgmt:zhao", reason="again")
        reopen_month(s, NOV, world.clock, by="mgmt:zhao", reason="late evaluations from pad A01")
        (score,) = month_report(s, NOV, world.clock)
        assert (score.valid, score.satisfied, score.final) == (5, 4, 4)
        close_month(s, NOV, world.clock, by="mgmt:zhao", reason="closed again with late events")
        assert [a.action for a in history(s, NOV)] == ["close", "reopen", "close"]
        assert month_view(s, NOV, world.clock).late_events == ()
        audit = s.exec(select(AuditEntry).where(col(AuditEntry.action).like("month.%"))
                       .order_by(col(AuditEntry.id))).all()
        assert [(a.action, a.actor) for a in audit] == [("month.close", "mgmt:zhao"),
                                                       ("month.reopen", "mgmt:zhao"),
                                                       ("month.close", "mgmt:zhao")]
        assert audit[1].reason == "late evaluations from pad A01"


def test_r11_closed_snapshot_restores_exact_scores_and_evidence(world: World) -> None:
    off = (sh(WORKDAY, time(11, 50)), sh(WORKDAY, time(13, 10)))
    wid = always_on_window(world, offs=(off,))
    world.evals("pad-A01", wid, sh(WORKDAY, time(9)), satisfied=2, unsatisfied=1)
    with world.session() as s:
        live = month_view(s, NOV, world.clock)
        close_month(s, NOV, world.clock, by="mgmt:zhao", reason="fed back")
        snap = month_view(s, NOV, world.clock)
    assert [r.score for r in snap.results] == [r.score for r in live.results]
    assert [r.closures for r in snap.results] == [r.closures for r in live.results]


def test_r11_refusals(world: World) -> None:
    always_on_window(world)
    with world.session() as s:
        with pytest.raises(MonthStateError, match="还没有结束"):
            close_month(s, "2026-12", world.clock, by="mgmt:zhao", reason="too early")
        with pytest.raises(MonthStateError, match="没有关账"):
            reopen_month(s, NOV, world.clock, by="mgmt:zhao", reason="nothing to reopen")
        close_month(s, NOV, world.clock, by="mgmt:zhao", reason="ok")
        with pytest.raises(MonthStateError, match="原因"):
            reopen_month(s, NOV, world.clock, by="mgmt:zhao", reason=" ")


def test_quarter_view_ranks_rated_windows_only(world: World) -> None:
    start, end = sh(date(2026, 10, 1)), sh(date(2026, 12, 1))
    a = always_on_window(world, "A01", start=start, end=end)
    b = always_on_window(world, "A02", start=start, end=end)
    always_on_window(world, "A03", start=start, end=end)           # no evaluations, V unknown: not rated
    world.evals("pad-A01", a, sh(date(2026, 10, 12), time(9)), satisfied=1, unsatisfied=1)   # Oct 2.5
    world.evals("pad-A01", a, sh(WORKDAY, time(9)), satisfied=1)                             # Nov 5
    world.evals("pad-A02", b, sh(WORKDAY, time(9)), satisfied=3, unsatisfied=1)              # Nov 3.75
    with world.session() as s:
        q = period_view(s, "2026-Q4", world.clock)
    assert q.months == ("2026-10", "2026-11") and q.pending == ("2026-12",)
    by = {p.window_id: p for p in q.scores}
    assert (by[a].score, by[a].rank) == (3.75, 1)
    assert (by[b].score, by[b].rank) == (3.75, 1)                  # ties share the rank
    assert by[max(by)].score is None and by[max(by)].rank is None


def test_period_parsing() -> None:
    assert period_months("2026-Q1") == ["2026-01", "2026-02", "2026-03"]
    assert len(period_months("2026")) == 12
    with pytest.raises(ValueError, match="YYYY-Qn"):
        period_months("2026-Q5")

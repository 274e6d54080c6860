"""The periodic review sweep (R6, R7): fault log and candidates kept current, idempotently."""

from __future__ import annotations

from sqlmodel import Session, select

from host import faults
from host.clock import ManualClock
from host.models.faults import Fault
from host.models.review import ViolationCandidate
from tests.review.conftest import sh
from tests.review.facts import Hall


def test_sweep_opens_faults_and_flags_candidates_once(db: Session, hall: Hall) -> None:
    w = hall.window("A07", device="qp-0107", since_ms=sh(2026, 10, 1))
    hall.window("A08", device="qp-0108", since_ms=sh(2026, 10, 1))
    hall.event("qp-0107", w, "fault", sh(2026, 10, 12, 9, 0), code="display", detail="no backlight")
    hall.power("qp-0108", "off", sh(2026, 10, 12, 9, 0), sh(2026, 10, 12, 10, 0), cause="timeout")  # silent
    hall.eval("qp-0107", w, sh(2026, 10, 12, 12, 30))  # lunch break: outside working hours (R6)
    now = sh(2026, 10, 12, 18, 0)
    got = faults.sweep(db, now_ms=now)
    assert (got.faults_opened, got.outages, got.silent_opened, got.candidates_added) == (1, 0, 1, 1)
    assert got.warnings == ()
    assert {(f.device_id, f.code) for f in db.exec(select(Fault)).all()} == {
        ("qp-0107", "display"),
        ("qp-0108", "silent"),
    }
    c = db.exec(select(ViolationCandidate)).one()
    assert (c.kind, c.reasons) == ("self_eval", ["outside_hours"])
    again = faults.sweep(db, now_ms=now + 60_000)
    assert (again.faults_opened, again.silent_opened, again.candidates_added) == (0, 0, 0)


def test_sweeper_thread_runs_once_and_stops(db_url: str, db: Session, hall: Hall) -> None:
    from host.db import make_engine

    hall.window("A07", device="qp-0107", since_ms=sh(2026, 10, 1))
    hall.event("qp-0107", None, "fault_report", sh(2026, 10, 12, 9, 0), detail="满意键按不下去")
    engine = make_engine(db_url)
    sweeper = faults.Sweeper(engine, ManualClock(sh(2026, 10, 12, 9, 5)), interval_s=3600)
    sweeper.start()
    sweeper.stop()
    engine.dispose()
    assert sweeper.last is not None and sweeper.last.faults_opened == 1
    f = db.exec(select(Fault)).one()
    assert (f.source, f.code, f.opened_by) == ("staff", "staff_report", "pad:qp-0107")


def test_sweep_looks_only_at_windows_with_news_and_the_last_day(db: Session, hall: Hall) -> None:
    w = hall.window("A07", device="qp-0107", since_ms=sh(2026, 10, 1))
    hall.window("A08", device="qp-0108", since_ms=sh(2026, 10, 1))
    hall.eval("qp-0107", w, sh(2026, 10, 12, 12, 30))  # outside hours, received at once
    first = faults.sweep(db, now_ms=sh(2026, 10, 12, 18, 0))
    assert first.candidates_added == 1
    assert faults.windows_with_news(db, sh(2026, 10, 12, 18, 0)) == []
    # The next day: one more lunch-time evaluation on A07; A08 has nothing new.
    hall.eval("qp-0107", w, sh(2026, 10, 13, 12, 40))
    assert faults.windows_with_news(db, sh(2026, 10, 13, 12, 0)) == [w]
    nxt = faults.sweep(db, now_ms=sh(2026, 10, 13, 18, 0), since_ms=sh(2026, 10, 13, 12, 0))
    assert nxt.candidates_added == 1
    # Yesterday's open candidate lies outside the last day: left as it was, not withdrawn.
    assert {c.status for c in db.exec(select(ViolationCandidate)).all()} == {"open"}

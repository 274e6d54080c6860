"""The periodic review sweep (R6, R7): fault log and candidates kept current, idempotently."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from host import faults
from host.clock import ManualClock
from host.db import make_engine
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


class WriteLockProbe:
    """Per transaction, the statements run while it held the write lock (SQLite takes the lock
    at a transaction's first INSERT/UPDATE/DELETE and keeps it to the COMMIT)."""

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        self.engine = engine
        self.open: dict[int, list[str]] = {}
        self.held: list[list[str]] = []
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)

    def _statement(self, conn, cursor, statement, params, context, many):  # type: ignore[no-untyped-def]
        verb = statement.lstrip().split(None, 1)[0].upper()
        key = id(conn.connection)
        if key in self.open or verb in ("INSERT", "UPDATE", "DELETE"):
            self.open.setdefault(key, []).append(verb)

    def _commit(self, conn) -> None:  # type: ignore[no-untyped-def]
        done = self.open.pop(id(conn.connection), None)
        if done:
            self.held.append(done)

    def reads_under_lock(self) -> int:
        """The most SELECTs one write transaction ran while holding the lock."""
        return max((w.count("SELECT") for w in self.held), default=0)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_sweep_never_reads_while_it_holds_the_write_lock_long(db_url: str, db: Session,
                                                                 hall: Hall) -> None:
    """Issue 10: the sweep held SQLite's write lock across its reads (a SELECT per candidate
    between the inserts, and across windows), and the ingest fell to 168-450 events/s. Now
    the R6 detection reads everything first and writes in one short commit per window, and
    the fault log commits per fact, so the reads under the lock do not grow with the work."""
    windows = []
    for i in range(6):
        w = hall.window(f"A{i:02d}", device=f"qp-01{i:02d}", since_ms=sh(2026, 10, 1))
        windows.append(w)
        for k in range(20):      # lunch-time evaluations: 20 self_eval candidates per window
            hall.eval(f"qp-01{i:02d}", w, sh(2026, 10, 12, 12, 2 + k))
        off = sh(2026, 10, 12, 8, 40) + i * 30 * 60_000          # one at a time: silent, not an outage
        hall.power(f"qp-01{i:02d}", "off", off, off + 15 * 60_000, cause="timeout")
    hall.event("qp-0100", windows[0], "fault", sh(2026, 10, 12, 9, 0), code="display", detail="dark")
    engine = make_engine(db_url)
    probe = WriteLockProbe(engine)
    with Session(engine) as s:
        got = faults.sweep(s, now_ms=sh(2026, 10, 12, 18, 0))
    engine.dispose()
    assert (got.candidates_added, got.silent_opened, got.faults_opened) == (120, 6, 1)
    assert len(probe.held) >= 6 + 6, probe.held               # one short commit per window and per fault
    assert probe.reads_under_lock() <= 2, probe.held         # was 20+ per window (one per candidate)


def test_the_sweep_gives_way_while_the_ingest_has_a_backlog(db: Session, hall: Hall) -> None:
    """Between its steps (after every window) the sweep pauses while the ingest is busy
    (it shares the interpreter lock with the ingest's writer), and not at all when idle."""
    for i in range(4):
        w = hall.window(f"A{i:02d}", device=f"qp-01{i:02d}", since_ms=sh(2026, 10, 1))
        hall.eval(f"qp-01{i:02d}", w, sh(2026, 10, 12, 12, 30))
    pauses: list[float] = []
    busy = [True]
    give_way = faults.GiveWay(lambda: busy[0], factor=3.0, sleep=pauses.append)
    faults.sweep(db, now_ms=sh(2026, 10, 12, 18, 0), pace=give_way)
    assert len(pauses) >= 4 + 4, pauses         # the fault steps, then every window
    assert all(p >= 0 for p in pauses) and give_way.paused_s == pytest.approx(sum(pauses))
    pauses.clear()
    busy[0] = False
    faults.sweep(db, now_ms=sh(2026, 10, 12, 18, 1), pace=give_way)
    assert pauses == []

"""Daily counts (host.models.counts, R2, R10): after any sequence of writes to the events they equal
a recount of the raw events, on SQLite and PostgreSQL.

The property drives the real paths: ingest batches (host.ingest.batch: new events, the same
seq again, a conflict, late events pressed days before, times derived from the pad's uptime,
pads unknown or on no window held back), replay of held events once the pad is registered or
assigned (host.ingest.replay), assignment corrections that re-attribute stored events between
windows (host.corrections, R10), voids by confirmed violations (R6: a decision, so the raw
counts stay and the report takes the voided ones away), and a row written directly (a
five-level answer, 好差评 mode). After every step the kept counts equal a recount of the event
rows with each press's Asia/Shanghai date (zoneinfo), and the month report's N and S (read
from the counts) equal the events counted over the month's span as before.
"""

from __future__ import annotations

import random
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import date, time
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import Session, col, select

from host import counts, fleet
from host.clock import local
from host.corrections import Move, correct, settle
from host.db import upgrade
from host.errors import ServiceError
from host.ingest.batch import BatchProcessor
from host.ingest.inbox import Received
from host.ingest.liveness import Liveness
from host.ingest.replay import replay_rejected
from host.ingest.store import insert_events
from host.models import AuditEntry, Device, Event
from host.rules.month_span import month_span
from host.scoring.facts import Tally, counted, load_month, tallies
from host.scoring.months import close_month, closed_action, reopen_month
from host.violations.review import confirm, report
from protocol import messages, spec, topics
from tests.scoring.world import MIN, World, sh

DEC = "2026-12"
NOV = "2026-11"
START = sh(date(2026, 11, 27))             # pads sit on their windows from here
DAYS = [date(2026, 11, 28), date(2026, 11, 29), date(2026, 11, 30), date(2026, 12, 1)]
RUN = count()
Key = tuple[int, date]


def python_recount(s: Session) -> dict[Key, tuple[int, ...]]:
    """The truth, counted in Python from the event rows: Asia/Shanghai day by zoneinfo."""
    out: dict[Key, list[int]] = defaultdict(lambda: [0] * 8)
    q = select(col(Event.window_id), col(Event.at_ms), col(Event.rating), col(Event.level)).where(
        Event.type == "eval", col(Event.window_id).is_not(None))
    for wid, at, rating, level in s.exec(q).all():
        assert wid is not None
        c = out[(wid, local(at).date())]
        c[0] += 1
        c[1] += rating == "satisfied"
        c[2] += rating == "unsatisfied"
        if level in (1, 2, 3, 4, 5):
            c[2 + level] += 1
    return {k: tuple(v) for k, v in out.items()}


def assert_counts_true(world: World) -> None:
    with world.session() as s:
        assert counts.kept(s) == python_recount(s)
        assert counts.check(s).ok
        for month in (NOV, DEC):
            raw = {w: t for w, t in tallies(s, month_span(month)).items() if t.valid}
            assert counted(s, month) == raw, month


class Hall:
    """One example's windows and pads in the shared database (names unique per example)."""

    def __init__(self, world: World) -> None:
        run = next(RUN)
        self.world = world
        self.windows = [f"X{run}", f"Y{run}", f"Z{run}"]
        self.wids = [world.window(n) for n in self.windows]
        self.pads = [f"pad-a{run}", f"pad-b{run}", f"pad-c{run}", f"pad-d{run}"]
        world.pad(self.pads[0], self.wids[0], START)              # a on X
        world.pad(self.pads[1], self.wids[1], START)              # b on Y
        with world.session() as s:                                # c registered, on no window
            fleet.add_device(s, device_id=self.pads[2], clock=world.clock, actor="test")
        # d is unknown until a step registers it
        self.seq = {p: 0 for p in self.pads}
        self.sent: dict[tuple[str, int], dict] = {}
        self.processor = BatchProcessor(Liveness(3.0, "test"))

    def message(self, pad: str, seq: int, day: int, minute: int, rating: str, derived: bool) -> dict:
        at = sh(DAYS[day]) + minute * MIN + 7_000
        return messages.event(pad, seq, 1, seq * 1000, None if derived else at, "eval", rating=rating,
                              svc=None, prompted=True)

    def ingest(self, items: list[tuple[int, int, int, str, bool, str]]) -> None:
        now = self.world.clock.now_ms()
        received = []
        for pad_i, day, minute, rating, derived, how in items:
            pad = self.pads[pad_i]
            old = [k for k in self.sent if k[0] == pad]
            if how != "new" and old:
                key = old[minute % len(old)]
                msg = dict(self.sent[key])
                if how == "conflict":           # the same seq with other content (Delivery 6)
                    msg["rating"] = "unsatisfied" if msg["rating"] == "satisfied" else "satisfied"
            else:
                self.seq[pad] += 1
                msg = self.message(pad, self.seq[pad], day, minute, rating, derived)
                self.sent[(pad, self.seq[pad])] = msg
            received.append(Received(topic=topics.topic(pad, spec.EVENT), payload=messages.encode(msg),
                                     received_ms=now, mid=0, qos=1, retained=False, generation=0))
        with self.world.session() as s:
            self.processor.process(s, received)
            s.commit()

    def correct(self, pad_i: int, window_i: int | None, day: int, minute: int) -> None:
        at = min(sh(DAYS[day]) + minute * MIN, self.world.clock.now_ms() - MIN)
        moves = [Move(self.pads[pad_i], None if window_i is None else self.windows[window_i])]
        with self.world.session() as s:
            try:
                result = correct(s, moves=moves, at_ms=at, clock=self.world.clock, actor="test",
                                 reason="换机补记")
            except ServiceError:
                s.rollback()
                return
        settle(self.world.engine, result, self.world.clock)

    def register(self, window_i: int, day: int) -> None:
        """d registered (or c assigned) onto a window from ``day``; then its held events replayed."""
        with self.world.session() as s:
            try:
                if s.get(Device, self.pads[3]) is None:
                    fleet.add_device(s, device_id=self.pads[3], clock=self.world.clock, actor="test",
                                     window_number=self.windows[window_i], since_ms=sh(DAYS[day]))
                else:
                    fleet.assign(s, device_id=self.pads[2], window_number=self.windows[window_i],
                                 clock=self.world.clock, actor="test", since_ms=sh(DAYS[day]))
            except ServiceError:
                s.rollback()
        replay_rejected(self.world.engine, self.world.clock)

    def void(self, pick: int) -> None:
        """A confirmed self-evaluation voids one stored evaluation (R2, R6)."""
        with self.world.session() as s:
            evals = s.exec(select(Event).where(Event.type == "eval", col(Event.window_id).in_(self.wids))
                           .order_by(col(Event.id))).all()
            if not evals:
                return
            ev = evals[pick % len(evals)]
            assert ev.window_id is not None and ev.id is not None
            try:
                c = report(s, window_id=ev.window_id, kind="self_eval", at_ms=ev.at_ms, by="巡查",
                           source="patrol", detail="员工自评", now_ms=self.world.clock.now_ms(),
                           subject_event_id=ev.id)
                assert c.id is not None
                confirm(s, c.id, reviewer="管理科", reason="属实", now_ms=self.world.clock.now_ms())
            except ServiceError:
                s.rollback()

    def close(self) -> None:
        """November closed (R11), or reopened if it is: late events for it are stored and counted
        all the same; only the report shown waits for a reopen."""
        with self.world.session() as s:
            if closed_action(s, NOV) is None:
                close_month(s, NOV, self.world.clock, by="管理科", reason="11月考核结果")
            else:
                reopen_month(s, NOV, self.world.clock, by="管理科", reason="补录迟到事件")

    def direct(self, window_i: int, day: int, minute: int, level: int | None) -> None:
        """A row written straight into the table (an import, a tool): the counts follow it too."""
        with self.world.session() as s:
            self.seq[self.pads[0]] += 1000
            at = sh(DAYS[day]) + minute * MIN
            s.add(Event(device_id=self.pads[0], seq=self.seq[self.pads[0]], boot=9, up_ms=0, type="eval",
                        at_ms=at, received_ms=self.world.clock.now_ms(), window_id=self.wids[window_i],
                        rating="satisfied" if level is not None and level >= 4 else "unsatisfied",
                        level=level, body={}))
            s.commit()


MINUTE = st.one_of(st.sampled_from([0, 1, 959, 960, 1439]), st.integers(0, 1439))  # midnight edges
INGEST = st.tuples(st.integers(0, 3), st.integers(0, 3), MINUTE,
                   st.sampled_from(["satisfied", "unsatisfied"]), st.booleans(),
                   st.sampled_from(["new", "new", "new", "again", "conflict"]))
STEP = st.one_of(
    st.tuples(st.just("ingest"), st.lists(INGEST, min_size=1, max_size=6)),
    st.tuples(st.just("correct"), st.integers(0, 2), st.one_of(st.none(), st.integers(0, 2)),
              st.integers(0, 3), MINUTE),
    st.tuples(st.just("register"), st.integers(0, 2), st.integers(0, 3)),
    st.tuples(st.just("void"), st.integers(0, 50)),
    st.tuples(st.just("close")),
    st.tuples(st.just("direct"), st.integers(0, 2), st.integers(0, 3), MINUTE,
              st.one_of(st.none(), st.integers(1, 5))),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(steps=st.lists(STEP, min_size=1, max_size=10))
def test_daily_counts_equal_a_recount_after_any_sequence(world: World, steps: list[tuple]) -> None:
    world.clock.set(sh(date(2026, 12, 2), time(9)))
    hall = Hall(world)
    for step in steps:
        kind, *args = step
        getattr(hall, kind)(*args)
        assert_counts_true(world)


def test_concurrent_batches_keep_the_counts_true(world: World) -> None:
    """Several writers (host instances on one PostgreSQL, or the ingest beside a correction) storing
    evaluations of the same windows and days at once: no lost update, no deadlock (each statement
    takes its count rows in key order)."""
    hall = Hall(world)
    wids = hall.wids

    def writer(k: int) -> None:
        rng = random.Random(k)
        for b in range(15):
            rows = []
            for i in range(40):
                seq = 100_000 * (k + 1) + 100 * b + i
                at = sh(DAYS[rng.randrange(4)]) + rng.randrange(1440) * MIN
                rows.append({"device_id": hall.pads[0], "seq": seq, "boot": 1, "up_ms": seq, "type": "eval",
                             "pad_ts_ms": at, "at_ms": at, "time_derived": False, "received_ms": at,
                             "window_id": wids[rng.randrange(3)], "svc": None, "body": {"seq": seq},
                             "rating": rng.choice(["satisfied", "unsatisfied"])})
            with world.session() as s:
                insert_events(s, rows)
                s.commit()

    with ThreadPoolExecutor(4) as pool:
        for f in [pool.submit(writer, k) for k in range(4)]:
            f.result()
    with world.session() as s:
        assert sum(c[0] for (w, _), c in counts.kept(s).items() if w in wids) == 4 * 15 * 40
    assert_counts_true(world)


def test_five_level_answers_are_counted_per_level(world: World) -> None:
    """好差评 mode (issue 16): each level has its own count beside satisfied/unsatisfied."""
    hall = Hall(world)
    for level in (5, 5, 4, 1, None):
        hall.direct(0, 1, 600, level)
    with world.session() as s:
        row = counts.kept(s)[(hall.wids[0], DAYS[1])]
        month = counted(s, NOV, [hall.wids[0], hall.wids[1]], levels=True)
    assert row == (5, 3, 2, 1, 0, 0, 1, 2)
    assert month == {hall.wids[0]: Tally(5, 3, (1, 0, 0, 1, 2))}, "the press without a level is in N only"


def test_a_correction_moves_the_counts_with_the_events(world: World) -> None:
    """R10: events re-attributed to the window the pad really sat on move their counts there."""
    world.clock.set(sh(date(2026, 12, 2), time(9)))
    hall = Hall(world)
    hall.ingest([(0, 2, 600 + i, "satisfied", False, "new") for i in range(4)])
    x = hall.wids[0]
    with world.session() as s:
        assert counts.kept(s)[(x, DAYS[2])][0] == 4
    hall.correct(0, 2, 2, 0)                     # a sat on Z from midnight of that day
    with world.session() as s:
        kept = counts.kept(s)
        assert (x, DAYS[2]) not in kept
        assert kept[(hall.wids[2], DAYS[2])] == (4, 4, 0, 0, 0, 0, 0, 0)
        assert counted(s, NOV)[hall.wids[2]].valid == 4


def test_voids_stay_in_the_counts_and_the_report_takes_them_away(world: World) -> None:
    """R2, R6: a void is a decision; the counts keep the stored evaluation, the month's N does not."""
    world.clock.set(sh(date(2026, 12, 2), time(9)))
    hall = Hall(world)
    hall.ingest([(0, 1, 600 + i, "satisfied", False, "new") for i in range(3)])
    hall.void(0)
    with world.session() as s:
        assert counts.kept(s)[(hall.wids[0], DAYS[1])][:2] == (3, 3)
        f = load_month(s, NOV, world.clock.now_ms(), [hall.wids[0]])
    assert (f.tallies[hall.wids[0]].valid, f.voided[hall.wids[0]].valid) == (3, 1)


def test_check_finds_lost_counts_and_rebuild_recounts_them_audited(world: World) -> None:
    """An operator's path: `check` names the rows that disagree, `rebuild` recounts from the events
    (R12: audited, never a number typed in)."""
    world.clock.set(sh(date(2026, 12, 2), time(9)))
    hall = Hall(world)
    hall.ingest([(1, d, 300, "satisfied", False, "new") for d in range(4)])
    with world.session() as s:
        truth = counts.kept(s)
        s.execute(text("DELETE FROM dailycount"))         # as a restore without the table would
        s.commit()
        found = counts.check(s)
        assert not found.ok and len(found.differences) == len(truth) == 4
        assert {(d.window_id, d.day) for d in found.differences} == set(truth)
        with pytest.raises(ServiceError):
            counts.rebuild(s, world.clock, actor="it", reason=" ")
        done = counts.rebuild(s, world.clock, actor="it", reason="从备份恢复后核对")
        assert (done.rows, done.corrected) == (4, 4)
        assert counts.kept(s) == truth and counts.check(s).ok
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == counts.ACTION)).one()
        assert (entry.actor, entry.detail["corrected"]) == ("it", 4)
    hall.ingest([(1, 0, 301, "unsatisfied", False, "new")])     # the triggers still count
    assert_counts_true(world)


def test_the_migration_counts_the_events_stored_before_it(db_url: str) -> None:
    """Migration 0008 counts what is already stored (the counts' table is new there)."""
    url = db_url
    upgrade(url, "0007")
    world = World(url, sh(date(2026, 12, 2), time(9)), migrate=False)
    wid = world.window("A01")
    world.pad("pad-A01", wid, START)
    world.evals("pad-A01", wid, sh(DAYS[0], time(23, 59)), 2, 1, step_ms=30_000)  # across midnight
    world.engine.dispose()
    upgrade(url)
    world = World(url, 0, migrate=False)
    with world.session() as s:
        assert counts.kept(s) == python_recount(s) == {(wid, DAYS[0]): (2, 2, 0, 0, 0, 0, 0, 0),
                                                       (wid, DAYS[1]): (1, 0, 1, 0, 0, 0, 0, 0)}
    world.engine.dispose()

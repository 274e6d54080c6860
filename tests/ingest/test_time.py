"""R10: an event's time is the pad's clock, or derived from boot/uptime and receipt times."""

from __future__ import annotations

from sqlalchemy import event as sa_event
from sqlmodel import Session, select

from host.ingest.timing import BootAnchors
from host.models import BootAnchor, Event
from tests.ingest.conftest import place, wait_for
from tests.ingest.pads import T0, SimPad

S = 1000


def anchor_of(engine, dev: str, boot: int) -> tuple | None:
    with Session(engine) as s:
        row = s.get(BootAnchor, (dev, boot))
        return None if row is None else (row.boot_ms, row.from_clock)


def events(engine) -> dict[int, Event]:
    with Session(engine) as s:
        return {e.seq: e for e in s.exec(select(Event)).all()}


def test_unset_clock_is_derived_from_the_earliest_anchor_of_the_boot(broker, engine, start_ingest, clock):
    place(engine, "qp-0501")
    start_ingest(clock)
    pad = SimPad(broker, "qp-0501", boot=3)
    # Event 1 is the boot's first message and arrives 2 s late (network): its boot looks 2 s
    # later than it was, and that is the best the host can know then (stored facts stay).
    clock.advance(62 * S)
    pad.send(1, up=60 * S, ts=None)
    assert pad.wait_acked([1])
    # A heartbeat with no delay: the boot started at T0 - 5 s, a better (earlier) anchor.
    clock.set(T0 + 100 * S)
    pad.state("serving", boot=3, up=105 * S, ts=None)
    wait_for(lambda: anchor_of(engine, "qp-0501", 3) == (T0 - 5 * S, False), what="the better anchor")
    # Event 2 was buffered for an hour (pad offline) and arrives with the pad's uptime.
    clock.set(T0 + 3600 * S)
    pad.send(2, up=200 * S, ts=None)
    assert pad.wait_acked([2])
    ev = events(engine)
    assert (ev[1].pad_ts_ms, ev[1].time_derived, ev[1].at_ms) == (None, True, T0 + 62 * S)
    assert (ev[2].time_derived, ev[2].at_ms) == (True, T0 - 5 * S + 200 * S)
    pad.close()


def test_a_real_clock_in_the_same_boot_anchors_exactly(broker, engine, start_ingest, clock):
    place(engine, "qp-0502")
    start_ingest(clock)
    clock.set(T0 + 50 * S)
    pad = SimPad(broker, "qp-0502", boot=1)
    pad.send(1, up=10 * S, ts=T0 + 7 * S)        # NTP came: boot started at T0 - 3 s exactly
    pad.send(2, up=30 * S, ts=None)              # a later event whose clock was lost again
    assert pad.wait_acked([1, 2])
    ev = events(engine)
    assert (ev[1].at_ms, ev[1].time_derived) == (T0 + 7 * S, False)
    assert (ev[2].at_ms, ev[2].time_derived) == (T0 + 27 * S, True)
    pad.close()


def test_clock_nonsense_is_stored_flagged_and_derived(broker, engine, start_ingest, clock, caplog):
    place(engine, "qp-0503")
    start_ingest(clock)
    clock.set(T0 + 100 * S)
    pad = SimPad(broker, "qp-0503", boot=9)
    pad.send(1, up=40 * S, ts=946_684_800_000)              # 2000-01-01: an RTC reset
    assert pad.wait_acked([1])
    clock.set(T0 + 120 * S)
    pad.send(2, up=50 * S, ts=T0 + 400 * 86_400_000)       # more than a year ahead
    assert pad.wait_acked([2])
    ev = events(engine)
    assert (ev[1].pad_ts_ms, ev[1].time_derived, ev[1].at_ms) == (946_684_800_000, True, T0 + 100 * S)
    assert (ev[2].time_derived, ev[2].at_ms) == (True, T0 + 110 * S)
    assert "before 2020" in caplog.text and "ahead of the host" in caplog.text
    pad.close()


def test_a_restarted_host_reads_a_running_boots_anchor_once_not_per_event(engine):
    """Issue 10 bench: after a restart every event of a boot the host had not written itself
    cost a SELECT of its anchor (the session's identity map holds rows weakly), and the
    ingest fell from ~4,000 to ~1,650 events/s. The anchor read from the database is kept."""
    place(engine, "qp-0599")
    with Session(engine) as s:                       # the host before the restart wrote the anchor
        BootAnchors().observe(s, "qp-0599", 4, 1_000, T0 + 1_000, T0 + 1_000)
        s.commit()
    reads: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and "bootanchor" in statement:
            reads.append(statement)

    sa_event.listen(engine, "before_cursor_execute", count)
    anchors = BootAnchors()                          # the restarted host knows nothing yet
    for batch in range(3):                           # one session per batch, as the writer does
        with Session(engine) as s:
            for i in range(100):
                up = 2_000 + 1_000 * (100 * batch + i)
                got = anchors.event_time(s, "qp-0599", 4, up, T0 + up, T0 + up)
                assert (got.at_ms, got.derived) == (T0 + up, False)
            s.commit()
        anchors.committed()
    sa_event.remove(engine, "before_cursor_execute", count)
    assert len(reads) == 1, reads


def test_r6_does_not_judge_sessions_while_a_boot_it_cannot_date_ran(broker, engine, start_ingest, clock):
    """A pad switched on and off during a network loss never learns the time (simulator E01).
    Its events come with the next boot that gets online; dated from uptime and arrival they
    land after that boot's start, which cannot be. Its prompts lie somewhere between the last
    event dated by the clock and the next boot's start: sessions there are not judged."""
    from host.models import ServiceSession, Window
    from host.violations import candidates_for, unjudged_sessions

    hour = 3600 * S
    place(engine, "qp-0504")
    start_ingest(clock)
    clock.set(T0 + 80 * S)
    pad = SimPad(broker, "qp-0504", boot=2)
    pad.send(1, type="prompt", up=60 * S, ts=T0 + 60 * S, svc="qp-0504-2-1", source="key")   # boot 2 had NTP
    pad.send(2, up=70 * S, ts=T0 + 70 * S, svc="qp-0504-2-1")
    assert pad.wait_acked([1, 2])
    # Two days later boot 4 gets online with the time; boot 3 ran the day between, offline.
    clock.set(T0 + 48 * hour + 200 * S)
    pad.boot = 4
    pad.state("serving", boot=4, up=200 * S, ts=T0 + 48 * hour + 200 * S)
    wait_for(lambda: anchor_of(engine, "qp-0504", 4) == (T0 + 48 * hour, True), what="boot 4's anchor")
    pad.boot = 3
    pad.send(3, type="prompt", up=600 * S, ts=None, svc="qp-0504-3-1", source="key")
    pad.send(4, up=610 * S, ts=None, svc="qp-0504-3-1")
    assert pad.wait_acked([3, 4])
    assert events(engine)[3].at_ms > T0 + 48 * hour            # dated after boot 4 began
    with Session(engine) as s:
        w = s.exec(select(Window)).one()
        sessions = {name: ServiceSession(window_id=w.id, ticket=name, started_ms=a, ended_ms=a + 600 * S)
                    for name, a in (("before", T0 - hour), ("while boot 3 ran", T0 + 24 * hour + 500 * S),
                                    ("after", T0 + 49 * hour))}
        s.add_all(sessions.values())
        s.commit()
        found = candidates_for(s, w.id, "2026-11", working=None, now_ms=T0 + 60 * hour)
        flagged = {c.service_session_id for c in found if c.kind == "no_prompt"}
        assert flagged == {sessions["before"].id, sessions["after"].id}
        # The management section is told which sessions were not judged, and why (无法核对).
        unjudged = unjudged_sessions(s, "2026-11", now_ms=T0 + 60 * hour)
        assert [(u.window_id, u.session_id, u.ticket) for u in unjudged] == [
            (w.id, sessions["while boot 3 ran"].id, "while boot 3 ran")]
    pad.close()


def test_r6_judges_sessions_of_a_boot_heard_live_without_a_clock(broker, engine, start_ingest, clock):
    """A pad online without NTP is dated from arrival, late by its network delay: a delay longer
    than the restart that followed must not make its whole history unjudgeable."""
    from host.models import ServiceSession, Window
    from host.violations import candidates_for, unjudged_sessions

    place(engine, "qp-0505")
    start_ingest(clock)
    pad = SimPad(broker, "qp-0505", boot=7)
    clock.set(T0 + 600 * S + 8 * S)                      # 8 s on the way
    pad.send(1, up=600 * S, ts=None)                     # heard live, no clock
    assert pad.wait_acked([1])
    pad.boot = 8                                         # it restarted 3 s after that event
    clock.set(T0 + 610 * S)
    pad.state("serving", boot=8, up=7 * S, ts=None)
    wait_for(lambda: anchor_of(engine, "qp-0505", 8) == (T0 + 603 * S, False), what="boot 8's anchor")
    with Session(engine) as s:
        w = s.exec(select(Window).where(Window.number == "A01")).one()
        late = ServiceSession(window_id=w.id, ticket="no prompt", started_ms=T0 + 100 * S,
                              ended_ms=T0 + 200 * S)
        s.add(late)
        s.commit()
        found = candidates_for(s, w.id, "2026-11", working=None, now_ms=T0 + 3600 * S)
        assert [c.service_session_id for c in found if c.kind == "no_prompt"] == [late.id]
        assert unjudged_sessions(s, "2026-11", now_ms=T0 + 3600 * S) == []     # it was judged
    pad.close()

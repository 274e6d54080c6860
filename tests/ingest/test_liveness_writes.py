"""Liveness is kept in memory and written only on change (issue 15, R5).

A heartbeat that changes nothing (same on/off, same mode, same firmware and faults) costs the
database nothing: no statement, no commit. Transitions are still written at once with their
evidence; the newest last-seen times follow in one bulk write with the host's beat. Counted
with SQLAlchemy's cursor and commit events on the real engine (SQLite and PostgreSQL) and a
real Mosquitto.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from host.ingest.liveness import HOST_BEAT_MS, Fact, Liveness
from host.ingest.pipeline import IngestPipeline
from tests.ingest.conftest import place, wait_for
from tests.ingest.pads import T0, SimPad
from tests.ingest.test_liveness import S, modes, power, status

PADS = 12


class Counter:
    """Statements and commits the engine ran while ``armed``."""

    def __init__(self, engine: Engine) -> None:
        self.statements: list[str] = []
        self.commits = 0
        self.armed = False
        self.watch = False              # processed(): arm during the steps that carry messages
        self._lock = threading.Lock()
        self.engine = engine
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)

    def _statement(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self.armed:
            with self._lock:
                self.statements.append(statement.split("\n")[0][:80])

    def _commit(self, conn: Any) -> None:
        if self.armed:
            with self._lock:
                self.commits += 1

    def remove(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)


@pytest.fixture
def counter(engine: Engine) -> Iterator[Counter]:
    c = Counter(engine)
    yield c
    c.remove()


def chain(rows: list[tuple], still_open: bool = True, gaps: bool = False) -> None:
    """Intervals (state, start, end, cause) with none doubled or missing: each ends where the next
    starts (or before it, for modes: none while the pad is off or unknown), the state changes at
    each boundary, and only the last may be open."""
    for a, b in itertools.pairwise(rows):
        assert a[2] is not None and (a[2] <= b[1] if gaps else a[2] == b[1]), rows
        assert a[0] != b[0] or a[2] < b[1], rows
    assert rows and (rows[-1][2] is None) == still_open, rows


def processed(ingest: IngestPipeline, counter: Counter | None = None) -> list[int]:
    """Counts the messages the writer has taken through a whole step (commit and acks included).
    With ``counter``, only the steps that carry messages are counted while ``counter.watch`` is
    set (an idle step that writes last-seen times is the host's, not the messages')."""
    done = [0]
    step = ingest.writer.step

    def counting(items: list) -> Any:
        if counter is not None:
            counter.armed = bool(items) and counter.watch
        try:
            out = step(items)
        finally:
            if counter is not None:
                counter.armed = False
        done[0] += len(items)
        return out

    ingest.writer.step = counting  # type: ignore[method-assign]
    return done


def test_unchanged_heartbeats_cost_no_statement_and_no_commit(broker, engine, start_ingest, clock, counter):
    devs = [f"qp-03{i:02d}" for i in range(PADS)]
    for d in devs:
        place(engine, d)
    ingest = start_ingest(clock)
    counter.watch = False
    done = processed(ingest, counter)
    pads = [SimPad(broker, d) for d in devs]
    for n, pad in enumerate(pads):
        pad.state("serving", fw="1.0.0", boot=1, up=500, mem_free=60_000 + n, rssi=-50, faults=[])
    wait_for(lambda: all(power(engine, d) == [("on", 0, None, "state")] for d in devs), what="all on")
    wait_for(lambda: done[0] >= PADS, what="births processed")

    clock.advance(30 * S)               # less than a host beat has passed since: no beat, no sweep
    # Let the writer take its beat and sweep for the new time before counting.
    wait_for(lambda: ingest.writer._last_beat == clock.now_ms(), what="the host beat")
    counter.watch = True                # the steps that take the heartbeats, not the idle ones
    for n, pad in enumerate(pads):      # one heartbeat each: new uptime, memory and signal
        pad.state("serving", fw="1.0.0", boot=1, up=30_500, mem_free=59_000 + n, rssi=-55, faults=[])
    wait_for(lambda: done[0] >= 2 * PADS, what="heartbeats processed")
    counter.watch = False
    assert counter.statements == [] and counter.commits == 0, \
        f"{PADS} unchanged heartbeats ran {len(counter.statements)} statements and " \
        f"{counter.commits} commits: {counter.statements[:8]}"

    # Nothing was lost: the intervals are as they were, the ingest knows when each was seen,
    # and the writer's first idle step (or the host's next beat, on a busy host) writes the
    # newest last-seen times of all pads together, with the clock standing still.
    assert all(power(engine, d) == [("on", 0, None, "state")] for d in devs)
    wait_for(lambda: all(status(engine, d).last_seen_ms == T0 + 30 * S for d in devs),
             what="last-seen written when the writer is idle")
    clock.advance(HOST_BEAT_MS)
    st = status(engine, devs[3])
    assert (st.power, st.mode, st.up_ms, st.mem_free, st.rssi) == ("on", "serving", 30_500, 59_003, -55)

    # A change is written at once, with its evidence: a mode change, a fault, a will.
    pads[0].state("paused", fw="1.0.0", boot=1, up=31_000, faults=[])
    wait_for(lambda: modes(engine, devs[0]) == [("serving", 0, 35), ("paused", 35, None)], what="paused")
    pads[1].state("serving", fw="1.0.0", boot=1, up=31_000, faults=["display"])
    wait_for(lambda: status(engine, devs[1]).faults == "display", what="fault written")
    clock.advance(10 * S)
    pads[2].kill()
    wait_for(lambda: len(power(engine, devs[2])) == 2, what="the will")
    assert power(engine, devs[2]) == [("on", 0, 30, "state"), ("off", 30, None, "will")]
    for pad in pads:
        if pad is not pads[2]:
            pad.close()


def test_kill9_and_restart_rebuild_liveness_from_the_tables(broker, engine, spawn_ingest):
    """A host killed with memory it had not written: the restart rebuilds from the tables and the
    retained states, with no interval doubled or missing (real clock, separate process)."""
    devs = ["qp-0330", "qp-0331", "qp-0332"]
    for d in devs:
        place(engine, d)
    host = spawn_ingest("host-1")
    pads = {d: SimPad(broker, d) for d in devs}
    for pad in pads.values():
        pad.state("serving", fw="1.0.0", boot=1, up=1_000, ts=int(time.time() * 1000))
    wait_for(lambda: all(len(power(engine, d)) == 1 for d in devs), what="all on")
    born = {d: power(engine, d)[0][1] for d in devs}
    for beat in range(1, 4):                       # heartbeats the host keeps in memory
        time.sleep(0.4)
        for pad in pads.values():
            pad.state("serving", fw="1.0.0", boot=1, up=1_000 + beat * 400, ts=int(time.time() * 1000))
    time.sleep(0.5)
    host.kill9()
    killed = (time.time() * 1000 - T0) / S
    pads[devs[0]].power_off()                      # while no host runs: one pad switched off,
    paused_at = int(time.time() * 1000)
    pads[devs[1]].state("paused", fw="1.0.0", boot=1, up=3_000, ts=paused_at)   # one paused
    spawn_ingest("host-1")                         # back within the host-down limit: no downtime
    for beat in range(3):                          # the others go on beating
        pads[devs[1]].state("paused", fw="1.0.0", boot=1, up=4_000 + beat, ts=int(time.time() * 1000))
        pads[devs[2]].state("serving", fw="1.0.0", boot=1, up=4_000 + beat, ts=int(time.time() * 1000))
        time.sleep(0.3)
    wait_for(lambda: len(power(engine, devs[0])) == 2, what="the power-off after the restart")
    wait_for(lambda: len(modes(engine, devs[1])) == 2, what="the pause after the restart")
    # On a loaded machine the restart may take longer than the host-down limit: then the gap is
    # unknown (R5 d) and the pads come back on after it. Either way each chain is whole.
    for d in devs:
        chain(power(engine, d))
        chain([(m, s, e, "") for m, s, e in modes(engine, d)], still_open=d != devs[0], gaps=True)
    off = power(engine, devs[0])
    assert (off[0][0], off[0][1]) == ("on", born[devs[0]]) and off[-1][0::3] == ("off", "power_off")
    # The power-off reaches the restarted host from its persistent session (not as the retained
    # copy), so it counts as said live on arrival: off from then, never before the kill.
    assert off[-1][1] >= killed
    assert power(engine, devs[1])[-1][0::2] == ("on", None)
    assert modes(engine, devs[1])[-1][0::2] == ("paused", None)
    assert modes(engine, devs[1])[-1][1] >= (paused_at - T0) / S     # the same: from its arrival
    assert power(engine, devs[2])[0][:2] == ("on", born[devs[2]]) and power(engine, devs[2])[-1][0::2] == (
        "on", None)
    assert modes(engine, devs[2])[-1][0::2] == ("serving", None)
    for d in devs[1:]:
        pads[d].close()


def test_a_mode_change_writes_its_row_and_interval_in_plain_sql(broker, engine, start_ingest, clock, counter):
    """A citizen prompted, a pause: the busiest change a hall has. The status row's mode and the
    interval are written at once (R5, R6 evidence), with no status row loaded or flushed through
    the ORM: one UPDATE of the row, one closing the interval, one new interval."""
    dev = "qp-0340"
    place(engine, dev)
    ingest = start_ingest(clock)
    done = processed(ingest, counter)
    pad = SimPad(broker, dev)
    pad.state("serving", fw="1.0.0", boot=1, up=500, faults=[])
    wait_for(lambda: modes(engine, dev) == [("serving", 0, None)] and done[0] >= 1, what="serving")
    clock.advance(30 * S)
    wait_for(lambda: ingest.writer._last_beat == clock.now_ms(), what="the host beat")
    counter.watch = True
    pad.state("prompt", fw="1.0.0", boot=1, up=30_500, faults=[])
    wait_for(lambda: done[0] >= 2, what="the prompt processed")
    counter.watch = False
    assert modes(engine, dev) == [("serving", 0, 30), ("prompt", 30, None)]
    written = [x.split(" SET")[0].split(" (")[0] for x in counter.statements]
    assert written == ["UPDATE devicestatus", "UPDATE modeinterval", "INSERT INTO modeinterval"], \
        counter.statements
    st = status(engine, dev)
    assert (st.power, st.mode) == ("on", "prompt")
    pad.close()


def test_a_mode_change_against_a_row_another_instance_changed_is_written_the_full_way(
        broker, engine, start_ingest, clock):
    """Memory is only as fresh as this instance's own writes: another instance took the pad off
    (the power-off went there). A state this instance then takes says the pad is talking: on
    again from its arrival, then in its new mode. The row, not stale memory, decides; a mode
    written on memory's word would open on a pad the row says is off."""
    dev = "qp-0341"
    place(engine, dev)
    ingest = start_ingest(clock)
    pad = SimPad(broker, dev)
    pad.state("serving")
    wait_for(lambda: modes(engine, dev) == [("serving", 0, None)], what="serving")
    clock.advance(60 * S)
    other = Liveness(3, "host-2")
    with Session(engine) as s:
        other.load(s)
        other.apply(s, [Fact(dev, "power_off", clock.now_ms(), clock.now_ms())])
        s.commit()
    assert power(engine, dev) == [("on", 0, 60, "state"), ("off", 60, None, "power_off")]
    assert (ingest.writer.liveness.memory or {})[dev].power == "on"   # this instance has not reread
    clock.advance(10 * S)
    pad.state("prompt")
    wait_for(lambda: len(modes(engine, dev)) == 2, what="the prompt")
    assert power(engine, dev) == [("on", 0, 60, "state"), ("off", 60, 70, "power_off"),
                                  ("on", 70, None, "state")]
    assert modes(engine, dev) == [("serving", 0, 60), ("prompt", 70, None)]
    pad.close()

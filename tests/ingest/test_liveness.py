"""Liveness facts (R5): on/off/unknown and mode intervals from state, will, power_off, silence,
and host downtime (R5 d). Real Mosquitto, a ManualClock for every time the host records."""

from __future__ import annotations

import time

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from host.ingest.pipeline import IngestPipeline
from host.models import DeviceStatus, HostDowntime, ModeInterval, PowerInterval
from tests.ingest.conftest import place, wait_for
from tests.ingest.pads import T0, SimPad

S = 1000


def power(engine: Engine, dev: str) -> list[tuple]:
    """(state, start, end, cause) relative to T0, in seconds, oldest first."""
    with Session(engine) as s:
        rows = s.exec(select(PowerInterval).where(PowerInterval.device_id == dev)
                      .order_by(col(PowerInterval.start_ms))).all()
    return [(r.state, (r.start_ms - T0) / S, None if r.end_ms is None else (r.end_ms - T0) / S, r.cause)
            for r in rows]


def modes(engine: Engine, dev: str) -> list[tuple]:
    with Session(engine) as s:
        rows = s.exec(select(ModeInterval).where(ModeInterval.device_id == dev)
                      .order_by(col(ModeInterval.start_ms))).all()
    return [(r.mode, (r.start_ms - T0) / S, None if r.end_ms is None else (r.end_ms - T0) / S) for r in rows]


def status(engine: Engine, dev: str) -> DeviceStatus | None:
    with Session(engine) as s:
        return s.get(DeviceStatus, dev)


def seen(ingest: IngestPipeline, dev: str) -> int | None:
    """When the ingest last saw ``dev``: kept in memory, written with the host's beat (issue 15)."""
    known = (ingest.writer.liveness.memory or {}).get(dev)
    return None if known is None else known.last_seen_ms


def test_will_means_off_from_the_last_message_not_from_the_will(broker, engine, start_ingest, clock):
    place(engine, "qp-0201")
    start_ingest(clock)
    pad = SimPad(broker, "qp-0201")
    pad.state("serving", fw="1.0.0", boot=1, up=500)
    wait_for(lambda: power(engine, "qp-0201") == [("on", 0, None, "state")], what="on at birth")
    clock.advance(10 * S)
    pad.send(1)
    assert pad.wait_acked([1])
    clock.advance(5 * S)                 # the connection dies 5 s after the last message
    pad.kill()
    wait_for(lambda: len(power(engine, "qp-0201")) == 2, what="the will")
    assert power(engine, "qp-0201") == [("on", 0, 10, "state"), ("off", 10, None, "will")]
    assert modes(engine, "qp-0201") == [("serving", 0, 10)]
    st = status(engine, "qp-0201")
    assert st is not None
    assert (st.power, st.online, st.mode, st.fw) == ("off", False, None, "1.0.0")
    assert st.last_seen_ms == T0 + 10 * S


def test_silence_past_three_heartbeats_is_off_from_the_last_message(broker, engine, start_ingest, clock):
    place(engine, "qp-0202")
    ingest = start_ingest(clock)
    pad = SimPad(broker, "qp-0202")
    pad.state("serving")
    wait_for(lambda: power(engine, "qp-0202") == [("on", 0, None, "state")], what="on")
    clock.advance(30 * S)
    pad.state("serving")                 # a heartbeat at 30 s, then silence (a pulled cable, no will yet)
    wait_for(lambda: seen(ingest, "qp-0202") == T0 + 30 * S, what="heartbeat")
    clock.advance(90 * S)                # 3 x 30 s after the last message: not yet past
    time.sleep(0.6)                      # a few writer ticks: each one sweeps
    assert power(engine, "qp-0202") == [("on", 0, None, "state")]
    clock.advance(1 * S)
    wait_for(lambda: len(power(engine, "qp-0202")) == 2, what="the timeout")
    assert power(engine, "qp-0202") == [("on", 0, 30, "state"), ("off", 30, None, "timeout")]
    assert modes(engine, "qp-0202") == [("serving", 0, 30)]
    clock.advance(5 * S)
    pad.send(1)                          # the pad is back: any message proves it on
    assert pad.wait_acked([1])
    assert power(engine, "qp-0202")[-1] == ("on", 126, None, "event")
    pad.close()


def test_power_off_is_off_from_that_message_and_mode_changes_are_intervals(broker, engine, start_ingest,
                                                                            clock):
    place(engine, "qp-0203")
    start_ingest(clock)
    pad = SimPad(broker, "qp-0203")
    pad.state("serving")
    wait_for(lambda: modes(engine, "qp-0203") == [("serving", 0, None)], what="serving")
    clock.advance(5 * S)
    pad.state("paused")
    wait_for(lambda: len(modes(engine, "qp-0203")) == 2, what="paused")
    clock.advance(15 * S)
    pad.state("serving")
    wait_for(lambda: len(modes(engine, "qp-0203")) == 3, what="serving again")
    clock.advance(20 * S)
    pad.power_off()
    wait_for(lambda: len(power(engine, "qp-0203")) == 2, what="power off")
    assert power(engine, "qp-0203") == [("on", 0, 40, "state"), ("off", 40, None, "power_off")]
    assert modes(engine, "qp-0203") == [("serving", 0, 5), ("paused", 5, 20), ("serving", 20, 40)]


def test_host_downtime_is_recorded_and_pads_are_unknown_meanwhile(broker, engine, start_ingest, clock):
    """R5 d: kill the host's watch for 10 minutes; the gap is unknown, not off."""
    place(engine, "qp-0204")
    place(engine, "qp-0205")
    first = start_ingest(clock)
    on_pad = SimPad(broker, "qp-0204")
    on_pad.state("serving")
    off_pad = SimPad(broker, "qp-0205")
    off_pad.state("serving")
    wait_for(lambda: all(power(engine, d) == [("on", 0, None, "state")] for d in ("qp-0204", "qp-0205")),
             what="both on")
    clock.advance(30 * S)
    off_pad.power_off()
    wait_for(lambda: status(engine, "qp-0205").power == "off", what="one pad off")
    clock.advance(30 * S)
    on_pad.state("serving")               # a heartbeat at 60 s
    wait_for(lambda: seen(first, "qp-0204") == T0 + 60 * S, what="heartbeat")
    first.stop()                          # host stops at 60 s (its last beat)
    clock.advance(10 * 60 * S)            # ... and is away for 10 minutes
    start_ingest(clock)
    with Session(engine) as s:
        gaps = s.exec(select(HostDowntime)).all()
    assert [(g.instance, g.start_ms - T0, g.end_ms - T0) for g in gaps] == [("host-1", 60 * S, 660 * S)]
    # The retained heartbeat from before the gap proves nothing about the gap.
    assert power(engine, "qp-0204") == [("on", 0, 60, "state"), ("unknown", 60, None, "host_down")]
    assert power(engine, "qp-0205") == [("on", 0, 30, "state"), ("off", 30, None, "power_off")]
    clock.advance(5 * S)
    on_pad.state("serving")               # the first live heartbeat after the restart
    wait_for(lambda: len(power(engine, "qp-0204")) == 3, what="on again")
    assert power(engine, "qp-0204")[1:] == [("unknown", 60, 665, "host_down"), ("on", 665, None, "state")]

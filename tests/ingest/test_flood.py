"""A flood from one pad's credentials (issue 10): flagged to IT and the management section
within a minute, on the real broker, while the other pads' events keep flowing."""

from __future__ import annotations

import threading
import time

from sqlmodel import Session, col, func, select

from host.clock import SystemClock
from host.faults.flood import EVAL_FLOOD, FloodWatch, open_floods
from host.models import Event
from host.models.faults import Fault, FaultEvidence
from host.models.review import ViolationCandidate
from tests.ingest.conftest import count_events, place, wait_for
from tests.ingest.pads import SimPad

FLOODER, OTHERS = "qp-1201", ["qp-1202", "qp-1203", "qp-1204"]
FLOOD = 400            # at ~30 a second for ~13 s: "hundreds of evaluations a minute", and more
OTHER_EVENTS = 8       # each other pad, one a second meanwhile (a busy but human hall)
FLAG_WITHIN_S = 60.0


def test_a_flood_is_flagged_within_a_minute_and_other_pads_keep_flowing(broker, engine, start_ingest):
    place(engine, FLOODER, "A01")
    for i, dev in enumerate(OTHERS):
        place(engine, dev, f"B{i:02d}")
    start_ingest(SystemClock())
    watch = FloodWatch(engine, SystemClock(), threshold=20)     # checks every 10 s, as serve runs it
    watch.start()
    script = SimPad(broker, FLOODER)                # the pad's credentials, used by a script
    others = [SimPad(broker, dev) for dev in OTHERS]
    flood_done: list[float] = []

    def flood() -> None:
        for seq in range(1, FLOOD + 1):
            script.send(seq, up=200 * seq)
            time.sleep(0.03)
        flood_done.append(time.monotonic())

    try:
        started_ms = SystemClock().now_ms()
        flooding = threading.Thread(target=flood, daemon=True)
        flooding.start()
        for seq in range(1, OTHER_EVENTS + 1):       # 20 s apart in the pads' time: honest presses
            for pad in others:
                pad.send(seq, up=20_000 * seq)
            time.sleep(1.0)
        # The others' events are stored and acknowledged while the flood is still going on.
        for pad in others:
            assert pad.wait_acked(range(1, OTHER_EVENTS + 1), timeout=10), pad.unacked()
        others_done = time.monotonic()
        flagged = wait_for(lambda: _flood_fault(engine), timeout=FLAG_WITHIN_S, what="the IT fault")
        took_s = (flagged.opened_ms - started_ms) / 1000
        print(f"flood flagged {took_s:.1f} s after it began")
        assert took_s < FLAG_WITHIN_S
        flooding.join()
        assert others_done < flood_done[0], "the flood ended before the other pads were done: make it longer"
        assert script.wait_acked(range(1, FLOOD + 1), timeout=30), "the flood's events are stored too"
        assert (flagged.device_id, flagged.source, flagged.status) == (FLOODER, "host", "open")
        assert "脚本" in flagged.detail
        # The management section: the flood's evaluations are candidates already (no sweep ran).
        wait_for(lambda: _candidates(engine, FLOODER) >= FLOOD // 2, timeout=30, what="candidates")
        with Session(engine) as s:
            assert [f.device_id for f in open_floods(s)] == [FLOODER]
            linked = s.scalar(select(func.count()).select_from(FaultEvidence).where(
                FaultEvidence.fault_id == flagged.id))
            assert linked is not None and linked >= 20
            assert s.exec(select(func.count()).select_from(Fault).where(
                col(Fault.device_id).in_(OTHERS))).one() == 0
        for dev in OTHERS:
            assert count_events(engine, dev) == OTHER_EVENTS and _candidates(engine, dev) == 0
    finally:
        watch.stop()
        for pad in [script, *others]:
            pad.close()


def _flood_fault(engine) -> Fault | None:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return s.exec(select(Fault).where(Fault.code == EVAL_FLOOD)).first()


def _candidates(engine, dev: str) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        ids = select(Event.id).where(Event.device_id == dev)
        return int(s.scalar(select(func.count()).select_from(ViolationCandidate).where(
            col(ViolationCandidate.subject_event_id).in_(ids))) or 0)

"""A five-level hall (好差评, issue 16) on the real firmware and a real Mosquitto: the simulator's
ground truth (written from its own side: levels, bad reviews, reasons picked on the reason screen)
agrees with what every five-key pad logged, press by press."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from firmware.hal.fake import FakeHal
from firmware.pad.eventlog import EventLog
from host.clock import ManualClock
from simulator import scenario
from simulator.engine import HallEngine
from simulator.pad import SimPad


@pytest.mark.broker
def test_the_truth_of_a_five_level_day_is_what_the_pads_logged(broker: object, tmp_path: Path) -> None:
    sc = scenario.load("five-level")
    one_day = sc.period.model_copy(update={"end": sc.period.start + timedelta(days=1)})
    sc = sc.model_copy(update={"period": one_day})
    pads = {}
    for w in sc.hall.windows:
        dev = sc.device_of(w)
        pw = broker.add_pad(dev)  # type: ignore[attr-defined]
        address = (broker.host, broker.port)  # type: ignore[attr-defined]
        pads[w.number] = SimPad(w.number, dev, tmp_path / dev, address, pw, sc.pads, w.name)
    hall = HallEngine(sc, pads, ManualClock(0), sync_ms=None)
    hall.run()
    for p in pads.values():
        p.cut_power()
    truth = hall.truth
    assert truth.reasons, "the scenario's bad reviews should bring some reasons"
    for number, pad in pads.items():
        logged = EventLog(FakeHal(str(pad.root)).files, pad.dev).read(1, 100_000)
        evals = [(e["level"], e["rating"], e["prompted"]) for e in logged if e["type"] == "eval"]
        want = [(t.level, t.rating, t.prompted) for t in truth.evals if t.window == number]
        assert evals == want, number
        by_seq = {e["seq"]: e for e in logged}
        reasons = [e for e in logged if e["type"] == "reason"]
        assert [r["reasons"] for r in reasons] == [[t.detail] for t in truth.reasons if t.window == number]
        for r in reasons:                    # each names a bad review of that pad
            assert by_seq[r["of"]]["type"] == "eval" and by_seq[r["of"]]["level"] <= 2
    bad = [t for t in truth.evals if t.level is not None and t.level <= 2]
    assert 0 < len(bad) < len(truth.evals)

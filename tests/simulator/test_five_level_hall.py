"""A five-level hall (好差评, issue 16) on the real firmware and a real Mosquitto: the simulator's
ground truth (written from its own side: levels, bad reviews, reasons picked on the reason screen)
agrees with what every five-key pad logged, press by press."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from firmware.hal.fake import FakeHal
from firmware.pad.eventlog import EventLog
from host.clock import ManualClock
from host.ingest.mqtt import BrokerAddress
from host.models import Command, Event, Window
from simulator import scenario
from simulator.engine import HallEngine
from simulator.host_link import InProcessHost, QueueFeed, register_hall
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


@pytest.mark.broker
def test_the_queue_system_prompts_with_case_numbers_through_the_host(broker: object, tmp_path: Path) -> None:
    """hall.queue_prompts: the queue system prompts each citizen's pad through the host's hook, with
    the ticket's case number and item; the pad carries them into its eval, the host stores them."""
    sc = scenario.load("five-level")
    one_day = sc.period.model_copy(update={"end": sc.period.start})
    sc = sc.model_copy(update={"period": one_day, "hall": sc.hall.model_copy(update={"queue_prompts": True})})
    clock = ManualClock(sc.start_ms - 86_400_000)          # registered the day before
    address = BrokerAddress(broker.host, broker.port, broker.host_user, broker.host_password)  # type: ignore[attr-defined]
    host = InProcessHost(f"sqlite:///{tmp_path / 'evalpad.db'}", clock, address, tmp_path)
    register_hall(host.engine, sc, clock)
    pads = {}
    for w in sc.hall.windows:
        dev = sc.device_of(w)
        pw = broker.add_pad(dev)  # type: ignore[attr-defined]
        pads[w.number] = SimPad(w.number, dev, tmp_path / dev, (broker.host, broker.port), pw,  # type: ignore[attr-defined]
                                sc.pads, w.name)
    feed = QueueFeed(host.engine, clock, host.publish)
    host.start()
    try:
        hall = HallEngine(sc, pads, clock, sync_ms=None, on_service=feed, on_queue_prompt=feed.prompt)
        hall.run()
        feed.flush()
        deadline = time.monotonic() + 30
        while any(p.on and p.unacked() for p in pads.values()) and time.monotonic() < deadline:
            for p in pads.values():
                p.step()
            time.sleep(0.01)
        assert not any(p.on and p.unacked() for p in pads.values()), "the host did not store every event"
        truth = hall.truth
        with Session(host.engine) as s:
            stored = s.exec(select(Event).where(Event.type == "eval").order_by(col(Event.at_ms))).all()
            prompts = s.exec(select(Command).where(Command.type == "prompt")).all()
            windows = {w.id: w.number for w in s.exec(select(Window)).all()}
        cases = [t.case for t in truth.evals if t.case]
        assert cases and len(prompts) >= len(cases)
        assert all(c.body["case"].startswith("QP") and c.body.get("item") for c in prompts)
        for number in pads:
            got = [(e.case_no, e.level, e.item is not None) for e in stored if windows[e.window_id] == number]
            want = [(t.case, t.level, t.case is not None) for t in truth.evals if t.window == number]
            assert got == want, number
        assert not [n for n in truth.notes if n.kind == "prompt_lost"]
    finally:
        for p in pads.values():
            p.cut_power()
        host.stop()

"""Run a fuzz campaign against a running ingest and check its outcome (issue 10).

Used by tests/ingest/test_fuzz.py (a campaign sized for CI) and bench/ingest_fuzz.py (the
full 100,000 mutants per database). Each pad is one raw paho client with many messages in
flight; the ingest is ``python -m host.ingest`` in its own process, writing its own log.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from host.ingest.store import REPLAYABLE
from host.models import Event, EventConflict, RejectedMessage
from protocol import acks, messages, spec, topics
from protocol.errors import REJ_CODES
from tests.ingest import fuzz

INFLIGHT = 1000


class FuzzPad:
    """One pad's account publishing a stream, collecting every ack and rej it gets."""

    def __init__(self, host: str, port: int, dev: str, password: str) -> None:
        self.dev = dev
        self.acked: list[list[int]] = []
        self.rej: dict[int, str] = {}
        self.lock = threading.Lock()
        self.subscribed = threading.Event()
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=dev, clean_session=True)
        c.username_pw_set(dev, password)
        c.max_inflight_messages_set(INFLIGHT)
        c.max_queued_messages_set(0)
        c.on_message = self._on_message
        c.on_subscribe = lambda *a: self.subscribed.set()
        c.connect(host, port, keepalive=120)
        c.subscribe(topics.topic(dev, spec.ACK), qos=1)
        c.loop_start()
        assert self.subscribed.wait(10), f"{dev} could not subscribe"
        self.client = c

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        ack = messages.parse_ack(msg.payload)
        with self.lock:
            self.acked = acks.merge(self.acked + ack["ack"])
            self.rej.update({s: c for s, c in ack.get("rej", [])})

    def publish(self, payload: bytes) -> None:
        self.client.publish(topics.topic(self.dev, spec.EVENT), payload, qos=1)

    def unacked(self, seqs: list[int]) -> list[int]:
        with self.lock:
            return acks.unacked(seqs, self.acked)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@dataclass
class Campaign:
    """What was sent, and what the ingest made of it."""

    pads: list[str]
    goods: dict[str, list[int]] = field(default_factory=dict)          # dev -> good seqs
    good_bytes: dict[str, dict[int, bytes]] = field(default_factory=dict)
    mutants: dict[str, set[bytes]] = field(default_factory=dict)         # dev -> mutant payloads
    respelled: Counter[str] = field(default_factory=Counter)             # dev -> how many
    kinds: Counter[str] = field(default_factory=Counter)
    started: float = 0.0
    published: float = 0.0
    goods_acked: float = 0.0
    settled: float = 0.0

    @property
    def total_mutants(self) -> int:
        return sum(len(m) for m in self.mutants.values()) + sum(self.respelled.values())

    @property
    def total_goods(self) -> int:
        return sum(len(g) for g in self.goods.values())

    def good_rate(self) -> float:
        """Good events stored and acknowledged per second while the mutants flowed."""
        return self.total_goods / (self.goods_acked - self.started)


def run(host: str, port: int, passwords: dict[str, str], goods: int, mutants: int, seed: int = 10,
        timeout_s: float = 600) -> tuple[Campaign, dict[str, FuzzPad]]:
    """Publish every pad's stream (pads in parallel, interleaved), wait for every good ack."""
    camp = Campaign(sorted(passwords))
    pads = {dev: FuzzPad(host, port, dev, pw) for dev, pw in passwords.items()}
    streams = {dev: list(fuzz.stream(dev, goods, mutants, seed + i)) for i, dev in enumerate(camp.pads)}
    for dev, items in streams.items():
        camp.goods[dev] = [s.seq for s in items if s.kind == "good"]  # type: ignore[misc]
        camp.good_bytes[dev] = {s.seq: s.payload for s in items if s.kind == "good"}  # type: ignore[misc]
        camp.mutants[dev] = {s.payload for s in items if s.kind not in ("good", "respelled")}
        camp.respelled[dev] = sum(1 for s in items if s.kind == "respelled")
        camp.kinds.update(s.kind for s in items)
    camp.started = time.monotonic()
    for i in range(max(len(s) for s in streams.values())):
        for dev in camp.pads:
            if i < len(streams[dev]):
                pads[dev].publish(streams[dev][i].payload)
    camp.published = time.monotonic()
    deadline = camp.started + timeout_s
    while any(pads[d].unacked(camp.goods[d]) for d in camp.pads):
        if time.monotonic() > deadline:
            left = {d: len(pads[d].unacked(camp.goods[d])) for d in camp.pads}
            raise AssertionError(f"good events not acknowledged after {timeout_s}s: {left}")
        time.sleep(0.05)
    camp.goods_acked = time.monotonic()
    return camp, pads


@dataclass
class Verdict:
    stored_goods: int
    rejected_rows: int
    stored_mutants: int
    conflicts: int
    codes: Counter[str]


def recorded(engine: Engine, camp: Campaign) -> int:
    with Session(engine) as s:
        devs = camp.pads
        n_rej = s.scalar(select(func.count()).select_from(RejectedMessage).where(
            col(RejectedMessage.device_id).in_(devs))) or 0
        n_ev = s.scalar(select(func.count()).select_from(Event).where(col(Event.device_id).in_(devs))) or 0
        n_cf = s.scalar(select(func.count()).select_from(EventConflict).where(
            col(EventConflict.device_id).in_(devs))) or 0
    return n_rej + n_ev - camp.total_goods + n_cf


def wait_settled(engine: Engine, camp: Campaign, timeout_s: float = 300) -> None:
    """Until every mutant is recorded (all but the respelled goods, which are repeats)."""
    want = camp.total_mutants - sum(camp.respelled.values())
    deadline = time.monotonic() + timeout_s
    while (got := recorded(engine, camp)) < want:
        if time.monotonic() > deadline:
            raise AssertionError(f"{want - got} of {want} mutants not recorded after {timeout_s}s")
        time.sleep(0.2)
    camp.settled = time.monotonic()


def check(engine: Engine, camp: Campaign, pads: dict[str, FuzzPad], log: Path) -> Verdict:
    """Every good event stored once and acked (never as rejected), every bad one recorded with a
    reason (exactly: rejected, stored under its own seq, or a conflict), every readable one
    acked in rej, 0 tracebacks in the ingest's log."""
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text[text.index("Traceback") - 2000:text.index("Traceback") + 3000]
    assert " ERROR " not in text, [line for line in text.splitlines() if " ERROR " in line][:5]
    want = camp.total_mutants - sum(camp.respelled.values())
    assert recorded(engine, camp) == want, "every mutant recorded exactly once"
    codes: Counter[str] = Counter()
    with Session(engine) as s:
        for dev in camp.pads:
            goods = camp.goods[dev]
            stored = dict(s.exec(select(Event.seq, Event.body).where(
                Event.device_id == dev, col(Event.seq).in_(goods))).all())
            assert sorted(stored) == goods, f"{dev}: good events missing"
            for seq, body in stored.items():
                assert body == messages.parse_event(camp.good_bytes[dev][seq], dev)
            pad = pads[dev]
            assert not pad.unacked(goods)
            assert not set(goods) & set(pad.rej), f"{dev}: a good event acked as rejected"
            for row in s.exec(select(RejectedMessage).where(RejectedMessage.device_id == dev)):
                codes[row.code] += 1
                assert row.raw in camp.mutants[dev], "a kept payload is a mutant as sent"
                assert row.reason and (row.code in REJ_CODES or row.code in REPLAYABLE), row.code
                assert "\x00" not in row.payload
                if row.seq is not None:
                    assert acks.covers(pad.acked, row.seq), f"{dev}: readable seq {row.seq} not acked"
                    if row.code not in REPLAYABLE:
                        assert row.seq in pad.rej, f"{dev}: rejected seq {row.seq} not named in rej"
        n_ev = s.scalar(select(func.count()).select_from(Event).where(col(Event.device_id).in_(camp.pads)))
        n_cf = s.scalar(select(func.count()).select_from(EventConflict).where(
            col(EventConflict.device_id).in_(camp.pads)))
    return Verdict(camp.total_goods, sum(codes.values()), int(n_ev or 0) - camp.total_goods, int(n_cf or 0),
                   codes)

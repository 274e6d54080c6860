"""A hall of 30 pads updated over the air by a canary rollout while citizens keep pressing.

Everything real but the board: the pads run the firmware (CPython, the loader's slot choice,
the update's HTTP download from the host, the trial) against a real Mosquitto and the real
host process (ingest, HTTP /ota files, the rollout driver) on a shared, accelerated clock.
A good release reaches every pad (canaries first); a release with a corrupted file on the
host stops at the canaries. Every press is stored exactly once throughout.
"""

from __future__ import annotations

import random
import secrets
import time
from collections import Counter

import pytest
from sqlmodel import Session, select

from host.broker.mosquitto import Mosquitto, free_port
from host.clock import ManualClock
from host.db import make_engine, upgrade
from host.models import DeviceStatus, Event, PadUpdate, Rollout
from host.releases import rollout, store
from host.releases.build import build_release
from simulator import scenario
from simulator.host_link import accounts_in, pad_accounts, register_hall
from simulator.pad import RATING_HOLD_MS, SimPad
from simulator.run import SIM_HOST, HostProcess
from simulator.shared_clock import SharedClock
from tests.support.services import need_mosquitto

pytestmark = [pytest.mark.broker, pytest.mark.slow]

STEP_MS = 250              # simulated time per round of the hall
PRESS_EVERY = 2            # a citizen presses at one pad every this many rounds
TRIAL_S = 60               # the rollout's default confirmation time on the pad


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    need_mosquitto()
    work = tmp_path_factory.mktemp("ota-hall")
    server = Mosquitto(work / "broker")
    server.write_config()
    server.start()
    host_password = secrets.token_urlsafe(12)
    server.add_user(SIM_HOST, host_password)     # the host's own account = its client id
    sc = scenario.load("qingpu-hall")
    db_url = f"sqlite:///{(work / 'evalpad.db').resolve()}"
    upgrade(db_url)
    engine = make_engine(db_url)
    start = sc.start_ms + 10 * 3600_000                       # 10:00 on a working day
    clock = SharedClock(work / "clock", start_ms=start)
    register_hall(engine, sc, clock)
    manual = ManualClock(start)
    with Session(engine) as s:                                # two releases, kept as the CLI keeps them
        for version in ("1.1.0", "1.2.0-bad"):
            built = work / "built" / version
            build_release(version, built)
            store.add_release(s, built=built, data_dir=work, clock=manual, actor="test")
        s.commit()
    bad = work / "releases" / "1.2.0-bad" / "firmware" / "pad" / "modes.mpy"
    bad.write_bytes(bytes(len(bad.read_bytes())))             # corrupted on the host: same size, zeros
    passwords = pad_accounts(sc, accounts_in(server.directory, server.prefix))
    pads = {}
    for w in sc.hall.windows:
        dev = sc.device_of(w)
        pads[dev] = SimPad(w.number, dev, work / "pads" / dev, (server.bind, server.port), passwords[dev],
                           sc.pads, w.name)
    http_port = free_port()
    host = HostProcess({"EVALPAD_DATABASE_URL": db_url, "EVALPAD_DATA_DIR": str(work),
                        "EVALPAD_MQTT_URL": f"mqtt://{SIM_HOST}:{host_password}@{server.bind}:{server.port}",
                        "EVALPAD_HTTP_PORT": str(http_port), "EVALPAD_ROLLOUT_TICK_S": "0.3"},
                       work, work / "clock", http=True)
    try:
        host.wait_started(engine)
        for p in pads.values():
            p.switch_on(clock.now_ms())
        yield {"engine": engine, "clock": clock, "pads": pads, "manual": manual, "presses": Counter()}
    finally:
        for p in pads.values():
            p.cut_power()
        host.stop()
        engine.dispose()
        server.stop()


def play(h: dict, until, limit_s: float = 180.0, press: bool = True) -> None:  # type: ignore[no-untyped-def]
    """Run the hall round by round (with ``press``, a citizen pressing now and then) until ``until()``."""
    clock, pads, presses = h["clock"], h["pads"], h["presses"]
    rng = random.Random(len(presses))
    deadline = time.monotonic() + limit_s
    n = 0
    while not until():
        assert time.monotonic() < deadline, "the hall did not get there in time"
        now = clock.advance(STEP_MS)
        for p in pads.values():
            p.advance_to(now)
            p.step()
        n += 1
        if press and n % PRESS_EVERY == 0:
            p = pads[rng.choice(sorted(pads))]
            if p.app is not None:
                p.hold(rng.choice(("satisfied", "unsatisfied")), RATING_HOLD_MS)
                presses[p.dev] += 1
                clock.set(max(clock.now_ms(), p.now))


def rollout_state(h: dict) -> tuple[str, dict[str, str]]:
    with Session(h["engine"]) as s:
        row = s.exec(select(Rollout).order_by(Rollout.id.desc())).first()  # type: ignore[union-attr]
        assert row is not None
        q = select(PadUpdate).where(PadUpdate.rollout_id == row.id)
        parts = {p.device_id: p.state for p in s.exec(q)}
        return row.state, parts


def start(h: dict, release: str, canary: int, share: float) -> None:
    with Session(h["engine"]) as s:
        rollout.start_rollout(s, release=release, clock=h["manual"], actor="test", canary=canary,
                              window_time=True, max_failed_share=share)
        s.commit()


def settle(h: dict) -> None:
    """Run on, with no new press, until every press the pads logged is stored by the host (a press
    made while settling could keep the count always one step ahead of a busy host)."""
    def counts() -> Counter:
        with Session(h["engine"]) as s:
            return Counter(s.exec(select(Event.device_id).where(
                Event.type.in_(("eval", "press_ignored")))).all())  # type: ignore[attr-defined]
    try:
        play(h, lambda: sum(counts().values()) >= sum(h["presses"].values()), 60, press=False)
    except AssertionError:
        got = counts()
        short = {d: (got[d], n) for d, n in h["presses"].items() if got[d] != n}
        raise AssertionError(f"presses not stored (pad: stored, pressed): {short}") from None


def test_a_canary_rollout_reaches_the_hall_and_a_bad_release_stops_at_the_canary(hall: dict) -> None:
    h = hall
    pads = h["pads"]
    play(h, lambda: all(p.connected for p in pads.values()), 30)
    # 1. a good release: 3 canaries, then everyone, while citizens press
    start(h, "1.1.0", canary=3, share=0.2)
    order: list[str] = []

    def done() -> bool:
        state, parts = rollout_state(h)
        for dev, st in parts.items():
            if st == "ok" and dev not in order:
                order.append(dev)
        return state != "running"
    play(h, done)
    state, parts = rollout_state(h)
    assert state == "done", parts
    assert set(parts.values()) == {"ok"}
    with Session(h["engine"]) as s:
        canaries = {p.device_id for p in s.exec(select(PadUpdate).where(PadUpdate.canary))}
    assert len(canaries) == 3 and set(order[:3]) == canaries          # the canaries confirmed first
    assert {p.app.fw for p in pads.values() if p.app is not None} == {"1.1.0"}
    assert all(p.pointer.get("run") in ("a", "b") for p in pads.values())
    # 2. a release with a corrupted file: refused by the canaries, the rollout stops there
    start(h, "1.2.0-bad", canary=2, share=0.5)
    play(h, lambda: rollout_state(h)[0] != "running")
    state, parts = rollout_state(h)
    assert state == "stopped"
    with Session(h["engine"]) as s:
        canaries = {p.device_id for p in s.exec(select(PadUpdate).where(PadUpdate.canary,
                                                                          PadUpdate.rollout_id == 2))}
    assert {parts[d] for d in canaries} <= {"failed", "sent"} and "failed" in {parts[d] for d in canaries}
    assert {st for d, st in parts.items() if d not in canaries} == {"skipped"}    # never sent to the rest
    with Session(h["engine"]) as s:
        row = s.exec(select(Rollout).where(Rollout.release == "1.2.0-bad")).one()
        assert "SHA-256 does not match" in (row.stop_reason or "")
    play(h, lambda: True)
    settle(h)
    with Session(h["engine"]) as s:
        fws = {st.device_id: st.fw for st in s.exec(select(DeviceStatus)).all()}
        presses = s.exec(select(Event.device_id, Event.seq).where(
            Event.type.in_(("eval", "press_ignored")))).all()  # type: ignore[attr-defined]
    assert set(fws.values()) == {"1.1.0"}                               # nothing of the bad one runs
    # every press stored exactly once: as many as the citizens made, per pad, no (dev, seq) twice
    assert Counter(d for d, _ in presses) == h["presses"]
    assert len(set(presses)) == len(presses) > 100

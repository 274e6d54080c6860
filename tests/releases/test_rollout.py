"""Releases kept by the host and rollouts, on SQLite and PostgreSQL: canary first, working
hours and prompts respected, a failing canary stops the rollout, results from the pads'
cmd_result (host.commands.record_result, as the ingest stores them)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from host import commands, fleet
from host.clock import RULES_TZ, ManualClock, to_ms
from host.db import make_engine, upgrade
from host.errors import Conflict, Invalid, NotFound
from host.models import AuditEntry, DeviceStatus, PadUpdate
from host.releases import rollout, store
from host.releases.build import build_release
from host.releases.manifest import list_hash, parse

# Tuesday 2026-10-13 (a working day in the official calendar) in Shanghai
WORKING = to_ms(datetime(2026, 10, 13, 10, 0, tzinfo=RULES_TZ))
EVENING = to_ms(datetime(2026, 10, 13, 19, 0, tzinfo=RULES_TZ))
PADS = ["pad-01", "pad-02", "pad-03", "pad-04", "pad-05"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rel") / "1.1.0"
    build_release("1.1.0", out)
    return out


class Published:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    def __call__(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        self.sent.append((topic, json.loads(payload)))

    def devices(self) -> list[str]:
        return [t.split("/")[2] for t, _ in self.sent]


@pytest.fixture
def world(db_url: str, tmp_path: Path, built: Path):  # type: ignore[no-untyped-def]
    upgrade(db_url)
    engine = make_engine(db_url)
    clock = ManualClock(EVENING)
    with Session(engine) as s:
        fleet.add_window(s, number="A01", name="综合窗口", clock=clock, actor="t")
        for i, dev in enumerate(PADS):
            fleet.add_device(s, device_id=dev, clock=clock, actor="t",
                             window_number="A01" if i == 0 else None)
            s.add(DeviceStatus(device_id=dev, power="on", online=True, mode="serving", fw="1.0.0"))
        store.add_release(s, built=built, data_dir=tmp_path, clock=clock, actor="t", note="test")
        s.commit()
    yield engine, clock, tmp_path
    engine.dispose()


def tick(engine, clock, pub):  # type: ignore[no-untyped-def]
    """One look of the driver; returns (state, stop reason) of the rollout."""
    with Session(engine) as s:
        row = rollout.advance(s, clock=clock, publish=pub, base_url="http://10.0.0.2:8000")
        return (row.state, row.stop_reason or "") if row is not None else (None, "")


def answer(engine, clock, dev: str, ok: bool, detail: str) -> None:  # type: ignore[no-untyped-def]
    """The pad's cmd_result for its update command, recorded as the ingest does."""
    with Session(engine) as s:
        part = s.exec(select(PadUpdate).where(PadUpdate.device_id == dev)).one()
        commands.record_result(s, {"dev": dev, "seq": 9, "ts": clock.now_ms(), "id": part.command_id,
                                   "ok": ok, "detail": detail})
        s.commit()


def parts(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return {p.device_id: p.state for p in s.exec(select(PadUpdate)).all()}


def test_a_kept_release_lists_its_files_hashes_and_pads(world) -> None:  # type: ignore[no-untyped-def]
    engine, clock, data_dir = world
    with Session(engine) as s:
        (view,) = store.list_releases(s)
        assert view.release.version == "1.1.0" and view.pads == 0
        s.get(DeviceStatus, "pad-02").fw = "1.1.0"  # type: ignore[union-attr]
        s.commit()
        assert store.list_releases(s)[0].pads == 1
        doc = parse((data_dir / "releases" / "1.1.0" / "manifest.json").read_bytes())
        assert doc["min_contract"] == 1 and doc["mpy"] == 6
        assert doc["hash"] == list_hash([store.manifest.FileEntry(*f) for f in doc["files"]])
        assert {f[0] for f in doc["files"]} >= {"firmware/pad/app.mpy", "protocol/messages.mpy",
                                                "firmware/ota/update.mpy"}
        assert not [f for f in doc["files"] if f[0].endswith("main.mpy")]   # the loader is USB-only
        with pytest.raises(Conflict):
            store.add_release(s, built=data_dir / "releases" / "1.1.0", data_dir=data_dir, clock=clock,
                              actor="t")
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "release.add")).one().subject == "1.1.0"


def test_canary_first_then_the_rest_and_done(world) -> None:  # type: ignore[no-untyped-def]
    engine, clock, _ = world
    pub = Published()
    with Session(engine) as s:
        rollout.start_rollout(s, release="1.1.0", clock=clock, actor="t", canary=2)
        s.commit()
    tick(engine, clock, pub)
    assert pub.devices() == ["pad-01", "pad-02"]
    cmd = pub.sent[0][1]
    assert cmd["type"] == "update" and cmd["release"] == "1.1.0"
    assert cmd["url"] == "http://10.0.0.2:8000/ota/1.1.0/manifest.json" and len(cmd["sha256"]) == 64
    answer(engine, clock, "pad-01", True, "running 1.1.0")
    tick(engine, clock, pub)
    assert len(pub.sent) == 2                     # the second canary has not confirmed yet
    answer(engine, clock, "pad-02", True, "running 1.1.0")
    tick(engine, clock, pub)
    assert sorted(pub.devices()[2:]) == ["pad-03", "pad-04", "pad-05"]
    for dev in PADS[2:]:
        answer(engine, clock, dev, True, "running 1.1.0")
    assert tick(engine, clock, pub)[0] == rollout.DONE
    assert set(parts(engine).values()) == {rollout.OK}


def test_a_failing_canary_stops_the_rollout(world) -> None:  # type: ignore[no-untyped-def]
    engine, clock, _ = world
    pub = Published()
    with Session(engine) as s:
        rollout.start_rollout(s, release="1.1.0", clock=clock, actor="t", canary=1)
        s.commit()
    tick(engine, clock, pub)
    answer(engine, clock, "pad-01", False, "rolled back from 1.1.0 to 1.0.0: crashed: RuntimeError()")
    state, why = tick(engine, clock, pub)
    assert state == rollout.STOPPED
    assert "1 of 1 pads failed or rolled back" in why and "crashed" in why
    assert pub.devices() == ["pad-01"]
    assert parts(engine) == {"pad-01": "failed", **{d: "skipped" for d in PADS[1:]}}
    tick(engine, clock, pub)
    assert pub.devices() == ["pad-01"]            # nothing more goes out


def test_working_hours_prompts_and_offline_pads_wait(world) -> None:  # type: ignore[no-untyped-def]
    engine, clock, _ = world
    pub = Published()
    clock.advance(WORKING - clock.now_ms())
    with Session(engine) as s:
        rollout.start_rollout(s, release="1.1.0", clock=clock, actor="t", canary=0)
        s.commit()
    tick(engine, clock, pub)
    assert pub.sent == []                         # 10:00 on a working day: the center is open
    with Session(engine) as s:
        s.get(DeviceStatus, "pad-01").mode = "prompt"  # type: ignore[union-attr]
        s.get(DeviceStatus, "pad-02").power = "off"  # type: ignore[union-attr]
        s.commit()
    clock.advance(EVENING - WORKING)
    tick(engine, clock, pub)
    assert pub.devices() == ["pad-03", "pad-04", "pad-05"]   # not during a prompt, not while off
    with Session(engine) as s:
        s.get(DeviceStatus, "pad-01").mode = "serving"  # type: ignore[union-attr]
        s.get(DeviceStatus, "pad-02").power = "on"  # type: ignore[union-attr]
        s.commit()
    tick(engine, clock, pub)
    assert pub.devices()[3:] == ["pad-01", "pad-02"]


def test_window_time_allows_working_hours_and_silence_fails_a_pad(world) -> None:  # type: ignore[no-untyped-def]
    engine, clock, _ = world
    pub = Published()
    clock.advance(WORKING - clock.now_ms())
    with Session(engine) as s:
        rollout.start_rollout(s, release="1.1.0", clock=clock, actor="t", canary=1, window_time=True,
                              max_failed_share=1.0)
        s.commit()
    tick(engine, clock, pub)
    assert pub.devices() == ["pad-01"]
    clock.advance(rollout.ANSWER_TIMEOUT_MS + 1)
    state, why = tick(engine, clock, pub)
    assert parts(engine)["pad-01"] == "failed"
    assert state == rollout.STOPPED and "no answer" in why   # 1 of 1 failed reaches even 100 %


def test_bad_requests_say_what_to_do(world) -> None:  # type: ignore[no-untyped-def]
    engine, clock, _ = world
    with Session(engine) as s:
        with pytest.raises(NotFound, match="没有保存版本"):
            rollout.start_rollout(s, release="9.9.9", clock=clock, actor="t")
        with pytest.raises(Invalid, match="不是在用的评价器"):
            rollout.start_rollout(s, release="1.1.0", clock=clock, actor="t", devices=["pad-99"])
        with pytest.raises(Invalid, match="失败比例"):
            rollout.start_rollout(s, release="1.1.0", clock=clock, actor="t", max_failed_share=0)
        rollout.start_rollout(s, release="1.1.0", clock=clock, actor="t", devices=["pad-03"])
        s.commit()
        with pytest.raises(Conflict, match="还在进行"):
            rollout.start_rollout(s, release="1.1.0", clock=clock, actor="t")
        row = rollout.stop_rollout(s, clock=clock, actor="t", reason="wrong pad")
        s.commit()
        assert row.state == rollout.STOPPED and "wrong pad" in (row.stop_reason or "")

"""The durable event log under the real MicroPython interpreter.

Power cuts are simulated by the fake flash: only ``n`` more bytes reach it, the write that
crosses the budget is torn exactly there, and everything after raises ``PowerCut``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from firmware.pad import eventlog

pytestmark = pytest.mark.micropython

KIT = (Path(__file__).with_name("padkit.py")).read_text()


TORN = r'''
import json
import padkit as k
from firmware.hal import PowerCut
from firmware.hal.fake import FakeFiles
from firmware.pad import eventlog as el

ROOT = "/torn"
BASE = 5
FIELDS = {"rating": "satisfied", "svc": "qp-0107-3-9", "prompted": True}

def base_log():
    files = FakeFiles(k.fresh_dir(ROOT))
    log = el.EventLog(files, "qp-0107")
    for i in range(BASE):
        log.append("eval", 3, 1000 + i, 1795619743210 + i, FIELDS)
    return files, log

files, log = base_log()
expected = log.read(1, 100)
# the exact bytes the next record would take
probe = el.frame(b"x")
rec_len = None
log.append("eval", 3, 2000, None, FIELDS)
rec_len = log.segs[-1][2] // (BASE + 1)
log.close()

failures = []
cuts = 0
for cut in range(rec_len):
    files, log = base_log()
    files.cut_power_after(cut)
    try:
        log.append("eval", 3, 2000, None, FIELDS)
        failures.append([cut, "append did not hit the power cut"])
        continue
    except PowerCut:
        cuts += 1
    log.close()
    files.power_on()
    log = el.EventLog(files, "qp-0107")           # recovery at boot
    got = log.read(1, 100)
    if got != expected:
        failures.append([cut, "records damaged", len(got)])
    if log.next_seq != BASE + 1:
        failures.append([cut, "next_seq", log.next_seq])
    if log.torn != (1 if cut else 0):
        failures.append([cut, "torn count", log.torn])
    seq = log.append("eval", 3, 3000, None, FIELDS)  # the log goes on after recovery
    again = el.EventLog(files, "qp-0107").read(1, 100)
    if seq != BASE + 1 or len(again) != BASE + 1 or again[-1]["up"] != 3000:
        failures.append([cut, "append after recovery", seq, len(again)])

# a flipped byte inside an older record (flash damage, not a tear) loses only that record
files, log = base_log()
log.close()
name = "log/" + [n for n in files.listdir("log") if n.startswith("s")][0]
data = bytearray(files.open(name, "rb").read())
data[rec_len * 2 + 10] ^= 0xFF
fh = files.open(name, "wb"); fh.write(data); fh.close()
log = el.EventLog(files, "qp-0107")
mid = [e["seq"] for e in log.read(1, 100)]

print(json.dumps({"rec_len": rec_len, "cuts": cuts, "failures": failures, "mid": mid,
                  "corrupt": log.corrupt}))
'''


@pytest.fixture(scope="module")
def torn(micropython: object) -> dict:
    return micropython.run_json(TORN, files={"/lib/padkit.py": KIT})  # type: ignore[attr-defined]


def test_a_write_torn_at_every_byte_loses_at_most_that_record(torn: dict) -> None:
    r = torn
    assert r["rec_len"] > 40
    assert r["cuts"] == r["rec_len"]          # every byte offset of the record was tried
    assert r["failures"] == []


def test_a_damaged_record_inside_the_log_costs_only_itself(torn: dict) -> None:
    r = torn
    assert r["mid"] == [1, 2, 4, 5]
    assert r["corrupt"] == 1


COUNTERS = r'''
import json
import padkit as k
from firmware.hal import PowerCut
from firmware.pad.app import PadApp

ROOT = k.fresh_dir("/counters")
boots = []
problems = []
app, hal, scr = k.make_app(ROOT)
k.tap(app, hal, "satisfied")
boots.append(app.boot)
cut_points = 0
# Power fails after 0, 7, 14, ... bytes of the next start-up plus a press: the cut lands
# in the boot counter file, the boot event, the rating record and the ack metadata.
for budget in range(0, 300, 5):
    hal.files.cut_power_after(budget)
    try:
        app2 = PadApp(hal, None, dict(k.IDENT))
        hal.press("unsatisfied", hal.now, 60)
        k.run_ms(app2, hal, 400)
        app2.log.save_meta()
    except PowerCut:
        cut_points += 1
    hal.files.power_on()
    hal.advance(3500)
    app = PadApp(hal, None, dict(k.IDENT))      # the pad comes back
    evs = k.events(app)
    seqs = [e["seq"] for e in evs]
    if seqs != sorted(set(seqs)):
        problems.append([budget, "seqs not unique and ascending"])
    if app.boot <= max(e["boot"] for e in evs[:-1] or evs):
        problems.append([budget, "boot did not increase", app.boot])
    if app.boot <= boots[-1]:
        problems.append([budget, "boot went back", app.boot, boots[-1]])
    boots.append(app.boot)
    k.tap(app, hal, "satisfied")
    k.run_ms(app, hal, 3500)
last = k.events(app)
evals = [e for e in last if e["type"] == "eval"]
print(json.dumps({"cut_points": cut_points, "budgets": len(range(0, 300, 5)),
                  "problems": problems, "boots": boots,
                  "last_seq": last[-1]["seq"], "n": len(last), "evals": len(evals)}))
'''


def test_seq_and_boot_survive_power_cuts_at_any_point(micropython: object) -> None:
    r = micropython.run_json(COUNTERS, files={"/lib/padkit.py": KIT})  # type: ignore[attr-defined]
    assert r["cut_points"] >= r["budgets"] // 2    # most budgets really cut the power
    assert r["problems"] == []
    assert r["boots"] == sorted(set(r["boots"]))  # strictly increasing
    assert r["last_seq"] == r["n"]               # no seq lost from the log, none repeated


FULL = r'''
import json
import padkit as k
from firmware.pad import eventlog as el

el.SEG_RECORDS = 8          # a tiny log, so it fills in a test: 4 segments of 8
el.MAX_SEGMENTS = 4
el.WARN_SEGMENTS = 3
app, hal, scr = k.make_app(k.fresh_dir("/full"))
app.log_capacity_segments = 4
faults_at = None
for i in range(40):
    app.record([("eval", {"rating": "satisfied", "svc": None, "prompted": False})], 100 + i)
    k.run_ms(app, hal, 1000)
    if faults_at is None and "storage" in app.health.fault_codes():
        faults_at = app.log.unacked()
evs = k.events(app)
notes = [e["detail"] for e in evs if e["type"] == "fault" and e["code"] == "storage"]
print(json.dumps({"faults_at": faults_at, "dropped": app.log.dropped, "notes": notes,
                  "first": evs[0]["seq"], "next": app.log.next_seq, "count": app.log.count(),
                  "buffered": app.state_message(0)["buffered"]}))
'''


def test_full_log_drops_oldest_and_says_so(micropython: object) -> None:
    r = micropython.run_json(FULL, files={"/lib/padkit.py": KIT})  # type: ignore[attr-defined]
    # storage fault raised before anything was dropped (at 3 of 4 segments)
    assert r["faults_at"] is not None and r["faults_at"] <= 3 * 8
    assert r["dropped"] > 0
    drop_notes = [n for n in r["notes"] if n.startswith("log full: dropped")]
    assert drop_notes, r["notes"]
    # every seq is either still in the log or counted as dropped
    assert r["first"] - 1 == r["dropped"]
    assert r["count"] == r["next"] - r["first"]
    assert r["buffered"] == r["count"]


def test_capacity_is_at_least_ten_thousand_events() -> None:
    assert eventlog.SEG_RECORDS * eventlog.MAX_SEGMENTS >= 10_000
    assert eventlog.WARN_SEGMENTS <= 0.8 * eventlog.MAX_SEGMENTS


ROTATION = r'''
import json
import padkit as k
from firmware.hal import PowerCut
from firmware.hal.fake import FakeFiles
from firmware.pad import eventlog as el

el.SEG_RECORDS = 4          # rotate every 4 records, so cuts land in rotations and reclaims
el.MAX_SEGMENTS = 6
el.WARN_SEGMENTS = 5
FIELDS = {"rating": "unsatisfied", "svc": None, "prompted": False}

def workload(log, done, acked):
    """Appends with rotations, acks that delete segments, meta saves; records what finished."""
    for i in range(20):
        seq = log.append("eval", 2, i, None, FIELDS)
        done.append(seq)
        if i % 7 == 6:
            acked[0] = seq - 2            # the host has stored these: the pad may forget them
            log.ack([[1, seq - 2]])
            log.save_meta()

problems = []
budgets = 0
b = 0
while True:
    files = FakeFiles(k.fresh_dir("/rot"))
    log = el.EventLog(files, "qp-0107")
    done = []
    acked = [0]
    files.cut_power_after(b)
    try:
        workload(log, done, acked)
        break                              # the budget outlasted the workload: all cut points seen
    except PowerCut:
        budgets += 1
    files.power_on()
    log = el.EventLog(files, "qp-0107")
    kept = [e["seq"] for e in log.read(1, 1000)]
    unacked = [s for s in done if s > acked[0]]
    if kept != sorted(set(kept)):
        problems.append([b, "order", kept])
    if not set(unacked) <= set(kept):
        problems.append([b, "lost unacked", sorted(set(unacked) - set(kept))])
    if done and log.next_seq != max(done) + 1 and log.next_seq != max(done) + 2:
        problems.append([b, "next_seq", log.next_seq, max(done)])
    if kept and log.next_seq <= kept[-1]:
        problems.append([b, "seq reuse", log.next_seq, kept[-1]])
    seq = log.append("eval", 3, 0, None, FIELDS)
    if seq in done[:-1]:
        problems.append([b, "seq repeated", seq])
    b += 5
print(json.dumps({"budgets": budgets, "problems": problems[:10]}))
'''


@pytest.mark.slow
def test_power_cuts_during_rotation_ack_reclaim_and_meta_lose_no_unacked_event(
        micropython: object) -> None:
    r = micropython.run_json(ROTATION, files={"/lib/padkit.py": KIT})  # type: ignore[attr-defined]
    assert r["budgets"] > 250            # every 5th byte of the workload's writes was a cut point
    assert r["problems"] == []

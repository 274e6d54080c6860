"""Updates over the air under the real MicroPython: releases built by `evalpad pad release`
(mpy-cross), served by a fake web server, installed into the other slot, started by the
loader (firmware/loader.py) from their own .mpy files, confirmed or rolled back.

The broker and web server are in-process fakes here (the wasm interpreter has no sockets);
tests/firmware/test_update_broker.py runs the same firmware against a real Mosquitto and the
real host's HTTP.
"""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest

from host.releases.build import build_release
from tests.support import micropython as mp

pytestmark = [pytest.mark.micropython]

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
KITS = {"/lib/padkit.py": (HERE / "padkit.py").read_text(),
        "/lib/otakit.py": (HERE / "otakit.py").read_text()}

# Bad programs, made from the real sources with one change each.
CRASHES_AT_START = ("firmware/pad/app.py", "        self.hal = hal\n",
                    "        self.hal = hal\n        raise RuntimeError('this release crashes at start')\n")
NEVER_CONNECTS = ("firmware/pad/net.py", "            c.connect()\n",
                  "            raise OSError('this release cannot connect')\n")


def release(tmp: Path, version: str, patch: tuple[str, str, str] | None = None) -> dict:
    """A release built from the sources (patched): {"manifest": text, "sha": ..., "files": {path: b64}}."""
    src = tmp / ("src-" + version)
    if patch is not None:
        for top in ("firmware", "protocol"):
            shutil.copytree(ROOT / top, src / top, ignore=shutil.ignore_patterns("__pycache__"))
        path, old, new = patch
        text = (src / path).read_text()
        assert old in text, (path, old)
        (src / path).write_text(text.replace(old, new, 1))
    out = tmp / ("rel-" + version)
    data = build_release(version, out, root=src if patch is not None else ROOT)
    files = {p.relative_to(out).as_posix(): base64.b64encode(p.read_bytes()).decode()
             for p in out.rglob("*") if p.is_file()}
    import hashlib
    return {"version": version, "sha": hashlib.sha256(data).hexdigest(), "files": files,
            "manifest": json.loads(data)}


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("releases")
    return {"old": release(tmp, "1.0.0"), "new": release(tmp, "1.1.0"),
            "crash": release(tmp, "1.1.1-crash", CRASHES_AT_START),
            "silent": release(tmp, "1.1.2-silent", NEVER_CONNECTS)}


SETUP = r'''
import json
import otakit as k
RELS = json.loads(RELS_JSON)
RELS_JSON = None
def install_factory(rel):
    """slot a holds rel, as a USB deploy of that release would leave it; nothing else."""
    k.unpack({p: b for p, b in rel["files"].items() if p != "manifest.json"}, k.ROOT + "/lib")
    k.write(k.ROOT + "/lib/release.json", json.dumps(rel["manifest"]).encode())
    k.write(k.ROOT + "/slot", json.dumps({"run": "a", "ver": rel["version"]}).encode())
for name in RELS:
    if name != "old":
        k.unpack(RELS[name]["files"], k.WEB + "/ota/" + RELS[name]["version"])
install_factory(RELS["old"])
net = k.new_net()
pad = k.Pad(net)
out = {}
'''


def run(code: str, releases: dict, names: tuple[str, ...]) -> dict:
    rels = {n: releases[n] for n in ("old", *names)}
    head = "RELS_JSON = " + repr(json.dumps(rels)) + "\n"
    return mp.run_json(head + SETUP + code, files=KITS, timeout=300)  # type: ignore[return-value]


UPDATE = r'''
app = pad.boot()
k.IDENT  # the pad is provisioned
pad.run(2000)                                   # connected to the (fake) broker
out["connected"] = app.net.connected
app.hal.press("satisfied", app.hal.now, 120)
pad.run(500)
before = [(e["seq"], e["type"]) for e in pad.events()]
rel = RELS["new"]
net.to_pad("evalpad/v1/qp-0107/cmd", k.update_cmd("c-up1", rel["version"], rel["sha"], 5))
why = pad.run(120000)
out["ended"] = why
out["requests"] = len(net.requests)
out["pointer_after_install"] = json.loads(k.read(k.ROOT + "/slot"))
out["slot_b_complete"] = k.slot_complete("b")
app = pad.boot(None)
out["boot2"] = pad.boots[-1]
out["loaded_from"] = pad.files_loaded
pad.run(8000)
out["pointer_after_trial"] = json.loads(k.read(k.ROOT + "/slot"))
evs = pad.events()
out["log_kept"] = [(e["seq"], e["type"]) for e in evs][:len(before)] == before
out["results"] = k.results(evs)
out["boot_fw"] = [e["fw"] for e in evs if e["type"] == "boot"]
out["state_fw"] = app.state_message(0)["fw"]
out["published_result"] = [json.loads(p)["detail"] for t, p in net.published if t.endswith("/event")
                           and json.loads(p)["type"] == "cmd_result"]
app = pad.boot(None)
out["boot3"] = pad.boots[-1]
print(json.dumps(out))
'''


def test_an_update_downloads_installs_confirms_and_reports(releases: dict) -> None:
    r = run(UPDATE, releases, ("new",))
    assert r["connected"] is True
    assert r["ended"] == "reboot"
    assert r["slot_b_complete"] is True
    p = r["pointer_after_install"]
    assert (p["run"], p["try"], p["tver"], p["left"], p["id"]) == ("a", "b", "1.1.0", 3, "c-up1")
    assert r["boot2"] == ["b", "1.1.0", "soft"]
    assert r["loaded_from"] == "/pad/lib_b/firmware/pad/app.mpy"     # the new slot's own bytecode
    assert r["pointer_after_trial"] == {"run": "b", "ver": "1.1.0"}
    assert r["results"] == [["c-up1", True, "running 1.1.0"]]
    assert r["published_result"] == ["running 1.1.0"]
    assert r["boot_fw"] == ["1.0.0", "1.1.0"]
    assert r["state_fw"] == "1.1.0"
    assert r["log_kept"] is True
    assert r["boot3"] == ["b", "1.1.0", "soft"]


BAD = r'''
app = pad.boot()
pad.run(2000)
for i in range(3):
    app.hal.press("satisfied", app.hal.now, 120)
    pad.run(4000)                       # past the thank-you
before = [(e["seq"], e["type"], e.get("rating")) for e in pad.events()]
rel = RELS[BAD]
net.to_pad("evalpad/v1/qp-0107/cmd", k.update_cmd("c-bad", rel["version"], rel["sha"], 5))
out["ended"] = pad.run(120000)
out["pointer_installed"] = json.loads(k.read(k.ROOT + "/slot")).get("try")
starts = 0
while starts < 6:                       # restart as the hardware would, until a program runs
    starts += 1
    app = pad.boot()
    if app is None:
        continue
    why = pad.run(11 * 60 * 1000, 50)   # past the trial's 10 min limit
    if why is None:
        break
out["boots"] = pad.boots
out["pointer"] = json.loads(k.read(k.ROOT + "/slot"))
evs = pad.events()
out["log_kept"] = [(e["seq"], e["type"], e.get("rating")) for e in evs][:len(before)] == before
out["evals"] = len([e for e in evs if e["type"] == "eval"])
out["results"] = k.results(evs)
out["boot_fw"] = [e["fw"] for e in evs if e["type"] == "boot"]
out["connected"] = app.net.connected
print(json.dumps(out))
'''


def test_a_release_that_crashes_at_start_is_rolled_back_and_reported(releases: dict) -> None:
    r = run("BAD = 'crash'\n" + BAD, releases, ("crash",))
    assert r["ended"] == "reboot" and r["pointer_installed"] == "b"
    # the trial start crashed (the loader records it), the next start is the old slot again
    assert [b[:2] for b in r["boots"]] == [["a", "1.0.0"], ["crash", None], ["a", "1.0.0"]]
    assert r["pointer"] == {"run": "a", "ver": "1.0.0"}
    (result,) = r["results"]
    assert result[:2] == ["c-bad", False]
    assert "rolled back from 1.1.1-crash to 1.0.0: crashed" in result[2]
    assert "this release crashes at start" in result[2]
    assert r["boot_fw"] == ["1.0.0", "1.0.0"]
    assert r["log_kept"] is True and r["evals"] == 3
    assert r["connected"] is True


def test_a_release_that_never_connects_is_rolled_back_and_reported(releases: dict) -> None:
    r = run("BAD = 'silent'\n" + BAD, releases, ("silent",))
    assert r["ended"] == "reboot"
    assert [b[:2] for b in r["boots"]] == [["a", "1.0.0"], ["b", "1.1.2-silent"], ["a", "1.0.0"]]
    assert r["pointer"] == {"run": "a", "ver": "1.0.0"}
    (result,) = r["results"]
    assert result[:2] == ["c-bad", False]
    assert "rolled back from 1.1.2-silent to 1.0.0: not connected to the broker" in result[2]
    assert r["boot_fw"] == ["1.0.0", "1.1.2-silent", "1.0.0"]
    assert r["log_kept"] is True and r["evals"] == 3


CORRUPT = r'''
app = pad.boot()
pad.run(2000)
rel = RELS["new"]
path = "/ota/1.1.0/firmware/pad/modes.mpy"
good = k.read(k.WEB + path)
net.corrupt[path] = bytes([good[0] ^ 0xFF]) + good[1:]          # same size, one byte off
net.to_pad("evalpad/v1/qp-0107/cmd", k.update_cmd("c-cor", rel["version"], rel["sha"]))
out["ended"] = pad.run(120000)
out["modes_fetches"] = len([r for r in net.requests if r[0] == path and r[1] == 0])
# a manifest that is not the one the command names
net.corrupt = {}
net.to_pad("evalpad/v1/qp-0107/cmd", k.update_cmd("c-sha", rel["version"], "0" * 64))
pad.run(20000)
out["pointer"] = json.loads(k.read(k.ROOT + "/slot"))
out["results"] = k.results(pad.events())
out["job_left"] = k.read(k.ROOT + "/ota/job")
app.hal.press("satisfied", app.hal.now, 120)
pad.run(500)
out["last"] = pad.events()[-1]["type"]
print(json.dumps(out))
'''


def test_a_corrupted_file_or_manifest_is_refused_and_reported(releases: dict) -> None:
    r = run(CORRUPT, releases, ("new",))
    assert r["ended"] is None                       # no restart: nothing was installed
    assert r["modes_fetches"] == 3                  # fetched again, then refused
    assert r["pointer"] == {"run": "a", "ver": "1.0.0"}
    (cor, sha) = r["results"]
    assert cor[:2] == ["c-cor", False] and "firmware/pad/modes.mpy: SHA-256 does not match" in cor[2]
    assert sha[:2] == ["c-sha", False] and "manifest SHA-256" in sha[2]
    assert r["job_left"] is None
    assert r["last"] == "eval"


PRESS = r'''
net.latency_ms = 8                      # each HTTP piece costs 8 ms of the pad's time
app = pad.boot()
pad.run(2000)
rel = RELS["new"]
net.to_pad("evalpad/v1/qp-0107/cmd", k.update_cmd("c-up", rel["version"], rel["sha"]))
pad.run(300)
out["downloading"] = app.update is not None and len(net.requests) > 5
seq = app.log.next_seq
app.hal.press("unsatisfied", app.hal.now + 3, 120)
pad.run(300)
out["still_downloading"] = app.update is not None
out["feedback_ms"] = app.last_feedback_ms
out["logged"] = [e["type"] for e in app.log.read(seq, 10)]
import sys
out["ota_loaded"] = "firmware.ota.update" in sys.modules
out["ended"] = pad.run(200000)
out["ota_loaded_after"] = "firmware.ota.update" in sys.modules
print(json.dumps(out))
'''


def test_a_press_during_the_download_shows_within_50_ms_and_is_logged_first(releases: dict) -> None:
    r = run(PRESS, releases, ("new",))
    assert r["downloading"] and r["still_downloading"]
    assert r["feedback_ms"] <= 50
    assert r["logged"] == ["eval"]
    assert r["ota_loaded"] is True
    assert r["ended"] == "reboot"


POWER = r'''
import os
from firmware.hal.fake import FakeFiles
SNAP = {}
def snapshot(path, into):
    for name in os.listdir(path):
        full = path + "/" + name
        try:
            os.listdir(full)
            snapshot(full, into)
        except OSError:
            into[full] = k.read(full)
def restore():
    import padkit
    padkit.rmtree(k.ROOT)
    for path, data in SNAP.items():
        k.write(path, data)

# The pad before the update: the old program, a log with presses in it.
app = pad.boot()
pad.run(2000)
for i in range(2):
    app.hal.press("satisfied", app.hal.now, 120)
    pad.run(4000)
app.log.close()
before = [(e["seq"], e["type"], e.get("rating")) for e in pad.events()]
snapshot(k.ROOT, SNAP)
rel = RELS["small"]
CMD = k.update_cmd("c-pc", rel["version"], rel["sha"], 1)     # a 1 s trial

def until_done(limit=8):
    """Restart after every power cut or reboot until the new program confirmed itself."""
    for _ in range(limit):
        app = pad.boot()
        if app is None:
            continue
        complete = k.slot_complete(pad.boots[-1][0])
        left = app.hal.files.ops_left                    # looking costs the pad no operations
        app.hal.files.ops_left = None
        evs = pad.events()
        app.hal.files.ops_left = left
        intact = [(e["seq"], e["type"], e.get("rating")) for e in evs][:len(before)] == before
        if not complete or not intact:
            return "start {}: complete={} log intact={}".format(pad.boots[-1], complete, intact)
        if app.fw == rel["version"] and app.trial is None:
            return None
        if app.fw != rel["version"] and app.update is None and not app.restart_when_idle:
            net.to_pad("evalpad/v1/qp-0107/cmd", CMD)   # the command was lost with the power: sent again
        # 100 ms steps: the download still takes one piece per step, and the trial and the
        # restarts are counted in time, so they pass in a few steps, not hundreds.
        pad.run(60000, 100, lambda app: app.trial is None and app.fw == rel["version"])
    return "not done after {} starts ({})".format(limit, pad.app.update and pad.app.update.error)

def one(cut):
    restore()
    net.pending = []
    pad.boots = []
    app = pad.boot("power_on")
    pad.run(100, 20, lambda app: app.net.connected)
    net.to_pad("evalpad/v1/qp-0107/cmd", CMD)
    pad.budget = cut
    pad.cuts = 0
    app.hal.files.cut_power_after_ops(cut)
    ops0 = app.hal.files.ops
    why = pad.run(30000, 20)
    problem = until_done()
    pad.budget = None
    pad.app.hal.files.ops_left = None
    results = k.results(pad.events())
    return ops0, why, problem, results

# reference run without a cut: how many file operations the update takes, through confirmation
restore()
pad.boots = []
app = pad.boot("power_on")
pad.run(1000)
net.to_pad("evalpad/v1/qp-0107/cmd", CMD)
start_ops = app.hal.files.ops
pad.run(30000, 20)
total = app.hal.files.ops - start_ops
app = pad.boot()
ops_start = app.hal.files.ops + pad._files.ops
pad.run(4000, 100)
total += app.hal.files.ops + pad._files.ops
out["reference_results"] = k.results(pad.events())
out["total_ops"] = total
problems = []
kinds = {}
cuts = 0
import time
T0 = time.ticks_ms()
for cut in (CUTS if CUTS else range(total + 1)):
    if cut % SHARDS != SHARD:
        continue                       # another interpreter cuts here (the sweep runs in shards)
    ops0, why, problem, results = one(cut)
    if problem or not results or [r for r in results if r[0] == "c-pc" and not r[1]]:
        problems.append([cut, why, problem, results, pad.boots, k.read(k.ROOT + "/slot")])
    kinds[why] = kinds.get(why, 0) + 1
    cuts += 1 if pad.cuts else 0
out["problems"] = problems[:5]
out["n_problems"] = len(problems)
out["kinds"] = kinds
out["cuts"] = cuts
out["ms"] = time.ticks_diff(time.ticks_ms(), T0)
print(json.dumps(out))
'''


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The pad core without the display (no glyphs, no screen): a smaller release, so that
    the power can be cut at each of its file operations in modest time."""
    tmp = tmp_path_factory.mktemp("small")
    src = tmp / "src"
    for top in ("firmware", "protocol"):
        shutil.copytree(ROOT / top, src / top, ignore=shutil.ignore_patterns(
            "__pycache__", "glyphs.py", "screen.py", "display_*.py", "boards"))
    out = tmp / "rel"
    data = build_release("1.2.0", out, root=src)
    import hashlib
    return {"version": "1.2.0", "sha": hashlib.sha256(data).hexdigest(), "manifest": json.loads(data),
            "files": {p.relative_to(out).as_posix(): base64.b64encode(p.read_bytes()).decode()
                      for p in out.rglob("*") if p.is_file()}}


SHARDS = 2      # the sweep's interpreters, run at once (CI has two cores)


@pytest.mark.slow
def test_a_power_cut_at_every_file_operation_always_starts_a_complete_program(
        releases: dict, small: dict) -> None:
    # One interpreter per core, each cutting at every other operation of the same update.
    rels = {n: rel for n, rel in {**releases, "small": small}.items() if n in ("old", "small")}
    head = "RELS_JSON = " + repr(json.dumps(rels)) + "\nCUTS = None\nSHARDS = {}\n".format(SHARDS)
    shards = mp.run_json_each([head + "SHARD = {}\n".format(i) + SETUP + POWER for i in range(SHARDS)],
                              files=KITS, timeout=600)
    for r in shards:
        assert r["reference_results"] == [["c-pc", True, "running 1.2.0"]]
        assert r["total_ops"] == shards[0]["total_ops"] > 100
        assert r["n_problems"] == 0, r["problems"]
    # the power did fail in (nearly) every run, and the shards together cut at every operation
    assert sum(r["cuts"] for r in shards) >= shards[0]["total_ops"] - 1


TOUCH = r'''
app = pad.boot()
pad.run(2000)
seq = app.log.next_seq
app.hal.press("satisfied", app.hal.now, 120)
pad.run(5)                                      # the contact is down, not yet debounced
app.restart_when_idle = "update installed"      # the installed update wants its restart now
out["ended"] = pad.run(10000)
out["logged"] = [e["type"] for e in app.log.read(seq, 10)]
print(json.dumps(out))
'''


def test_a_restart_waits_for_a_hand_on_a_rating_key_so_the_press_is_logged_first(releases: dict) -> None:
    """A citizen's press that straddles a pending restart is logged before it (the restart
    waits while a rating key is down, debounced or not), never lost with the reboot."""
    r = run(TOUCH, releases, ())
    assert r["ended"] == "reboot"
    assert r["logged"][:1] == ["eval"]

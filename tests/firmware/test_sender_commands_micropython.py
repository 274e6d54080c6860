"""Ack ranges, resend order and the host's commands, under the real MicroPython interpreter."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.micropython

KIT = (Path(__file__).with_name("padkit.py")).read_text()

SENDER = r'''
import json
import padkit as k
from firmware.hal.fake import FakeFiles
from firmware.pad import sender as S
from firmware.pad.eventlog import EventLog
from protocol import messages

class FakeNet:
    def __init__(self):
        self.connected = True
        self.sent = []
        self.fail_after = None
    def publish(self, kind, msg, up, retain=False):
        if self.fail_after is not None and len(self.sent) >= self.fail_after:
            self.connected = False
            return False
        self.sent.append(msg["seq"])
        return True

def ack(ranges):
    return messages.encode(messages.ack(ranges))

files = FakeFiles(k.fresh_dir("/sender"))
log = EventLog(files, "qp-0107")
for i in range(300):
    log.append("eval", 1, i, None, {"rating": "satisfied", "prompted": False})
net = FakeNet()
snd = S.Sender(log, net)
out = {}
for i in range(40):
    snd.step(1000)
out["window"] = list(net.sent)                       # stops at the window
out["per_step"] = S.PER_STEP
snd.on_ack(ack([[1, 64]]), 2000)
for i in range(4):
    snd.step(2000)
out["after_ack"] = net.sent[64:]
snd.on_ack(ack([[100, 120], [70, 72]]), 3000)        # out of order, and gaps
net.sent = []
snd.rewind(3000)                                      # a reconnect
for i in range(40):
    snd.step(3000)
out["resend"] = list(net.sent)
net.sent = []
for i in range(10):
    snd.step(3000 + S.RESEND_MS + 1)                  # the host said nothing for too long
out["timeout_resend_first"] = net.sent[:3]
out["segments_before"] = len(log.segs)
snd.on_ack(ack([[1, 250]]), 5000)
out["segments_after"] = len(log.segs)
out["unacked"] = log.unacked()
out["next_unacked"] = log.next_unacked(0)
log.save_meta()
log2 = EventLog(files, "qp-0107")
out["reloaded_next_unacked"] = log2.next_unacked(0)
out["reloaded_unacked"] = log2.unacked()
out["bad_ack"] = snd.on_ack(b'{"v":1,"ack":[[5,2]]}', 6000)
out["bad_acks"] = snd.bad_acks
# a link that dies mid-batch: the sender starts again from the first unacked later
net.sent = []
net.fail_after = 2
snd.rewind(7000)
snd.step(7000)
net.connected = True
net.fail_after = None
snd.step(7000)
out["after_failure"] = net.sent
# a few events out, never acked (the host lost them before committing): resent in time
files3 = FakeFiles(k.fresh_dir("/sender3"))
log3 = EventLog(files3, "qp-0107")
for i in range(3):
    log3.append("eval", 1, i, None, {"rating": "satisfied", "prompted": False})
net3 = FakeNet()
snd3 = S.Sender(log3, net3)
snd3.step(0)
snd3.step(S.RESEND_MS - 1)
out["few_before"] = list(net3.sent)
snd3.step(S.RESEND_MS + 1)
out["few_after"] = list(net3.sent)
print(json.dumps(out))
'''


@pytest.fixture(scope="module")
def sent(micropython: object) -> dict:
    return micropython.run_json(SENDER, files={"/lib/padkit.py": KIT})  # type: ignore[attr-defined]


def test_events_go_out_in_seq_order_within_the_window(sent: dict) -> None:
    assert sent["window"] == list(range(1, 65))
    assert sent["after_ack"] == list(range(65, 65 + 4 * sent["per_step"]))   # 4 steps


def test_resend_after_reconnect_skips_acked_ranges_in_order(sent: dict) -> None:
    expected = [s for s in range(65, 300 + 1) if not (70 <= s <= 72 or 100 <= s <= 120)]
    # the window spans 64 seqs from the first unacked one (acked ones inside it are skipped)
    assert sent["resend"] == [s for s in expected if s < 65 + 64]
    assert sent["timeout_resend_first"] == [65, 66, 67]


def test_acks_reclaim_whole_segments_and_persist(sent: dict) -> None:
    assert sent["segments_before"] == 3
    assert sent["segments_after"] == 2          # seqs 1-128 and 129-256 acked up to 250
    assert sent["next_unacked"] == 251
    assert sent["unacked"] == 50
    assert sent["reloaded_next_unacked"] == 251
    assert sent["reloaded_unacked"] == 50


def test_unacked_events_are_resent_after_the_resend_time_even_below_the_window(sent: dict) -> None:
    assert sent["few_before"] == [1, 2, 3]
    assert sent["few_after"] == [1, 2, 3, 1, 2, 3]


def test_bad_ack_is_counted_not_applied(sent: dict) -> None:
    assert sent["bad_ack"] == 0
    assert sent["bad_acks"] == 1


def test_a_failed_publish_restarts_from_the_first_unacked(sent: dict) -> None:
    assert sent["after_failure"][:2] == [251, 252]
    assert sent["after_failure"][2:4] == [251, 252]


COMMANDS = r'''
import json
import padkit as k
from firmware.hal import Reboot
from protocol import messages

NOW = 1795619743210
app, hal, scr = k.make_app(k.fresh_dir("/cmds"))
out = {}

def cmd(**kw):
    kind = kw.pop("type")
    cid = kw.pop("id")
    payload = messages.encode(messages.command(cid, kind, **kw))
    app.net.inbox.append(("cmd", payload))
    k.run_ms(app, hal, 50)

def raw(text):
    app.net.inbox.append(("cmd", text.encode()))
    k.run_ms(app, hal, 50)

mark = app.log.next_seq - 1
cmd(id="c-1", type="prompt", svc="A0123", expires=NOW + 60000)   # clock unset: cannot judge
cmd(id="c-2", type="time", ts=NOW)
cmd(id="c-3", type="prompt", svc="A0124", expires=NOW - 1)        # expired
cmd(id="c-4", type="config", heartbeat_s=45, thanks_s=5)
cmd(id="c-4", type="config", heartbeat_s=45, thanks_s=5)          # redelivered: once
cmd(id="c-5", type="display", window="12", staff="Zhang", staff_id="1024")
cmd(id="c-6", type="pause", reason="lunch")
cmd(id="c-7", type="prompt", svc="A0125")                          # refused while paused
cmd(id="c-8", type="resume")
cmd(id="c-9", type="selftest")
raw('{"v":1,"id":"c-10","type":"config","heartbeat_s":0}')
raw('{"v":1,"id":"c-11","type":"launch"}')
raw('not json')
evs = k.events(app, mark)
out["events"] = k.brief(evs)
out["prompt_source"] = [e["source"] for e in evs if e["type"] == "prompt"]
out["ts_after_time"] = [e["ts"] for e in evs if e["type"] == "cmd_result"][1:3]
out["cmd_ids"] = [e["id"] for e in evs if e["type"] == "cmd_result"]
out["screen_info"] = scr.calls[-1][2]
out["rejected"] = app.cmds_refused
# config and display survive a restart
app2, hal2, scr2 = k.make_app("/cmds")
out["config_after_restart"] = app2.config.values
out["display_after_restart"] = app2.config.display["staff"]
# reboot: answered first, then the pad restarts a few seconds later
cmd(id="c-12", type="reboot")
rebooted = None
try:
    k.run_ms(app, hal, 5000)
except Reboot:
    rebooted = True
out["rebooted"] = rebooted
out["last"] = k.brief(k.events(app, app.log.next_seq - 2))
print(json.dumps(out))
'''


@pytest.fixture(scope="module")
def commanded(micropython: object) -> dict:
    return micropython.run_json(COMMANDS, files={"/lib/padkit.py": KIT})  # type: ignore[attr-defined]


def test_every_command_is_answered_and_expired_ones_are_not_run(commanded: dict) -> None:
    assert commanded["events"] == [
        ["prompt"], ["cmd_result", True, ""],                    # c-1
        ["cmd_result", True, ""],                                # c-2 time
        ["cmd_result", False, "expired"],                        # c-3
        ["cmd_result", True, "heartbeat_s,thanks_s"],            # c-4 once
        ["cmd_result", True, ""],                                # c-5 display
        ["prompt_end", "cancelled"], ["pause"], ["cmd_result", True, ""],   # c-6
        ["cmd_result", False, "paused: resume service before prompting"],  # c-7
        ["resume"], ["cmd_result", True, ""],                    # c-8
        ["cmd_result", True, "faults: none"],                    # c-9
        commanded["events"][13],                                 # c-10: checked below
        commanded["events"][14],                                 # c-11
    ]
    assert commanded["events"][13][:2] == ["cmd_result", False]
    assert "heartbeat_s" in commanded["events"][13][2]
    assert commanded["events"][14][:2] == ["cmd_result", False]
    assert "unknown_type" in commanded["events"][14][2]
    assert commanded["cmd_ids"] == ["c-1", "c-2", "c-3", "c-4", "c-5", "c-6", "c-7", "c-8",
                                    "c-9", "c-10", "c-11"]
    assert commanded["rejected"] == 3                          # c-10, c-11, not json
    assert commanded["prompt_source"] == ["host"]


def test_time_command_sets_ts(commanded: dict) -> None:
    before, after = commanded["ts_after_time"]
    assert before is not None and after >= 1795619743210


def test_config_and_display_kept_on_flash(commanded: dict) -> None:
    assert commanded["config_after_restart"]["heartbeat_s"] == 45
    assert commanded["config_after_restart"]["thanks_s"] == 5
    assert commanded["config_after_restart"]["prompt_timeout_s"] == 60
    assert commanded["display_after_restart"] == "Zhang"
    assert commanded["screen_info"]["staff"] == "Zhang"
    assert commanded["screen_info"]["staff_id"] == "1024"


def test_reboot_command_answers_then_reboots(commanded: dict) -> None:
    assert commanded["rebooted"] is True
    assert commanded["last"][-1] == ["cmd_result", True, "rebooting"]


REJECTED = r'''
import json
import padkit as k
from protocol import messages

app, hal, scr = k.make_app(k.fresh_dir("/rej"))
log, snd = app.log, app.sender
first = log.next_seq
for i in range(10):
    app.record([("eval", {"rating": "satisfied", "svc": None, "prompted": False})], 100 + i)
top = log.next_seq - 1
out = {"first": first, "top": top}

def ack(ranges, rej=None):
    app.net.inbox.append(("ack", messages.encode(messages.ack(ranges, rej))))
    app.net.connected = False      # no network work beyond applying the ack
    k.run_ms(app, hal, 10)

ack([[1, first + 4]], [[first + 1, "bad_field"], [first + 3, "conflict"]])
out["after_first"] = [log.rejected, log.unacked()]
ack([[1, first + 4]], [[first + 1, "bad_field"], [first + 3, "conflict"]])   # the same ack again
out["after_repeat"] = log.rejected
ack([[first + 5, top]], [[first + 6, "quota_exceeded"]])                    # a code hosts may add
out["after_all"] = [log.rejected, log.unacked(), log.next_unacked(0)]
snd_bad = snd.on_ack(b'{"v":1,"ack":[[1,2]],"rej":[[3,"bad_field"]]}', 5000)  # rej outside its ranges
out["bad"] = [snd_bad, snd.bad_acks, log.rejected]
out["state"] = app.state_message(0)["rejected"]
messages.parse_state(messages.encode(app.state_message(0)))                # the contract takes it
log.save_meta()
app2, hal2, scr2 = k.make_app("/rej")
out["after_restart"] = [app2.log.rejected, app2.state_message(0)["rejected"]]
print(json.dumps(out))
'''


def test_rejected_seqs_are_dropped_counted_once_and_reported_in_the_state(micropython: object) -> None:
    """Delivery 5: the pad drops every acked seq, rejected ones too, and counts those (persisted)."""
    r = micropython.run_json(REJECTED, files={"/lib/padkit.py": KIT})  # type: ignore[attr-defined]
    assert r["top"] - r["first"] == 9
    assert r["after_first"][0] == 2                      # two rejected among the acked ones
    assert r["after_repeat"] == 2, "an ack that comes again does not count twice"
    assert r["after_all"] == [3, 0, None]                # nothing left to resend
    assert r["bad"] == [0, 1, 3]                         # refused by the contract: not applied
    assert r["state"] == 3
    assert r["after_restart"] == [3, 3]

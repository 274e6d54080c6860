"""Health, clock and watchdog under the real MicroPython interpreter (R7, R10)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.micropython

KIT = (Path(__file__).with_name("padkit.py")).read_text()

HEALTH = r'''
import json
import padkit as k
from firmware.pad import health as H
from firmware.pad.app import PadApp

out = {}

# 1. boot loop: three quick watchdog restarts in a row -> safe mode that still logs
root = k.fresh_dir("/loop")
safe = []
for i in range(4):
    app, hal, scr = k.make_app(root, reset_cause="watchdog")
    k.run_ms(app, hal, 2000)
    safe.append(app.health.safe_mode)
out["safe"] = safe
out["safe_screen_calls"] = len(scr.calls)
k.tap(app, hal, "satisfied")
evs = k.events(app)
out["safe_events"] = k.brief(evs[-3:])
out["safe_boot_causes"] = [e["reset_cause"] for e in evs if e["type"] == "boot"]
out["safe_wdt"] = hal.wdt_timeout
out["safe_state_faults"] = app.state_message(0)["faults"]
k.run_ms(app, hal, H.STABLE_MS, 500)             # a minute of good running
app, hal, scr = k.make_app(root, reset_cause="watchdog")
out["after_stable_safe"] = app.health.safe_mode
app, hal, scr = k.make_app(root, reset_cause="power_on")
out["power_on_quick"] = app.health.quick_restarts

# 2. display, memory, storage faults come and go
app, hal, scr = k.make_app(k.fresh_dir("/faults"))
mark = app.log.next_seq - 1
hal.display.ok = False
k.run_ms(app, hal, 1500)
hal.display.ok = True
k.run_ms(app, hal, 1500)
hal.set_mem_free(4000)
k.run_ms(app, hal, 1500)
hal.set_mem_free(80000)
k.run_ms(app, hal, 1500)
out["faults"] = k.brief(k.events(app, mark))
# storage: the flash refuses writes; the press still shows; fault once it works again
mark = app.log.next_seq - 1
hal.files.fail_writes = True
app.log.close()
k.tap(app, hal, "satisfied")
shown_while_failing = scr.mode()
k.run_ms(app, hal, 1100)                           # the next self-check
out["lost"] = app.lost
out["storage_faults"] = app.health.fault_codes()
out["shown_while_failing"] = shown_while_failing
fed = hal.wdt_fed
k.run_ms(app, hal, 1000)
out["fed_while_failing_briefly"] = hal.wdt_fed > fed
app.health.storage_error = (app.clock.up_ms() - H.SICK_MS - 1, "EIO")
fed = hal.wdt_fed
k.run_ms(app, hal, 200)
out["fed_when_sick"] = hal.wdt_fed > fed
hal.files.fail_writes = False
k.run_ms(app, hal, 3500)
k.tap(app, hal, "unsatisfied")
k.run_ms(app, hal, 1500)
out["storage_after"] = k.brief(k.events(app, mark))

# 3. clock: never set -> fault after the grace period; the host's time command clears it
app, hal, scr = k.make_app(k.fresh_dir("/clock"))
k.run_ms(app, hal, H.CLOCK_GRACE_MS + 2000, 1000)
out["clock_fault"] = app.health.fault_codes()
out["ts_unset"] = k.events(app)[0]["ts"]
from protocol import messages
app.net.inbox.append(("cmd", messages.encode(messages.command("c-t", "time", ts=1795619743210))))
k.run_ms(app, hal, 1500)
out["clock_after"] = app.health.fault_codes()
k.tap(app, hal, "satisfied")
out["ts_set"] = k.events(app)[-1]["ts"]

# 4. NTP at boot and daily (no broker here: keep the last-resort outage reboot out of it)
import firmware.pad.app as A
A.OUTAGE_REBOOT_MS = 10 ** 12
app, hal, scr = k.make_app(k.fresh_dir("/ntp"))
hal.ntp_ms = 1795619743210
k.run_ms(app, hal, 100)
out["ntp_set"] = app.clock.is_set
out["ntp_calls_boot"] = hal.ntp_calls
k.run_ms(app, hal, 60000, 500)
out["ntp_calls_minute"] = hal.ntp_calls
hal.advance(24 * 3600 * 1000)
k.run_ms(app, hal, 100)
out["ntp_calls_day"] = hal.ntp_calls

# 4b. the RTC is trusted after a reset that keeps it running, not after a power-on
app, hal, scr = k.make_app(k.fresh_dir("/rtc1"), reset_cause="soft", wall_ms=1795619743210)
out["rtc_soft"] = k.events(app)[0]["ts"]
app, hal, scr = k.make_app(k.fresh_dir("/rtc2"), reset_cause="power_on", wall_ms=1795619743210)
out["rtc_power_on"] = k.events(app)[0]["ts"]
app, hal, scr = k.make_app(k.fresh_dir("/rtc3"), reset_cause="watchdog", wall_ms=946684800000)
out["rtc_unset_year_2000"] = k.events(app)[0]["ts"]

# 5. ticks_ms wraps (2**30 ms): uptime and timers carry on
start = (1 << 30) - 3000
app, hal, scr = k.make_app(k.fresh_dir("/wrap"), start_ms=start)
k.tap(app, hal, "staff")
k.run_ms(app, hal, 5000)                         # the wrap happens inside the prompt
wrapped = hal.ticks_ms() < 3000
k.tap(app, hal, "satisfied")
k.run_ms(app, hal, 70000, 100)
k.tap(app, hal, "staff")
k.run_ms(app, hal, 61000, 100)                   # a timeout after the wrap
evs = k.events(app)
out["wrap"] = wrapped
out["wrap_events"] = k.brief(evs[1:])
out["wrap_up"] = [e["up"] for e in evs]
print(json.dumps(out))
'''


@pytest.fixture(scope="module")
def health(micropython: object) -> dict:
    return micropython.run_json(HEALTH, files={"/lib/padkit.py": KIT})  # type: ignore[attr-defined]


def test_boot_loop_gives_a_safe_mode_that_still_logs(health: dict) -> None:
    assert health["safe"] == [False, False, True, True]
    assert health["safe_screen_calls"] == 0          # no display driver in safe mode
    assert health["safe_events"][-1] == ["eval", "satisfied", False]
    assert ["fault", "watchdog"] in health["safe_events"]
    assert set(health["safe_boot_causes"]) == {"watchdog"} and len(health["safe_boot_causes"]) == 4
    assert health["safe_wdt"] == 30000
    assert "watchdog" in health["safe_state_faults"]
    assert health["after_stable_safe"] is False       # a good minute resets the count
    assert health["power_on_quick"] == 0


def test_display_and_memory_faults_are_raised_and_cleared(health: dict) -> None:
    assert health["faults"] == [["fault", "display"], ["fault_clear", "display"],
                                ["fault", "memory"], ["fault_clear", "memory"]]


def test_storage_errors_fault_and_starve_the_watchdog_only_when_lasting(health: dict) -> None:
    assert health["lost"] >= 1
    assert health["storage_faults"] == ["storage"]
    assert health["shown_while_failing"] == "thanks"   # the citizen still gets feedback
    assert health["fed_while_failing_briefly"] is True
    assert health["fed_when_sick"] is False
    after = health["storage_after"]
    assert ["fault_clear", "storage"] in after and ["eval", "unsatisfied", False] in after


def test_clock_fault_until_set_and_ts_null_before(health: dict) -> None:
    assert "clock" in health["clock_fault"]
    assert health["ts_unset"] is None
    assert "clock" not in health["clock_after"]
    assert health["ts_set"] >= 1795619743210


def test_ntp_at_boot_and_daily(health: dict) -> None:
    assert health["ntp_set"] is True
    assert health["ntp_calls_boot"] == 1
    assert health["ntp_calls_minute"] == 1
    assert health["ntp_calls_day"] == 2


def test_rtc_trusted_only_after_resets_that_keep_it(health: dict) -> None:
    assert health["rtc_soft"] == 1795619743210
    assert health["rtc_power_on"] is None
    assert health["rtc_unset_year_2000"] is None


def test_ticks_wrap_keeps_uptime_and_timers(health: dict) -> None:
    assert health["wrap"] is True
    assert health["wrap_events"] == [["prompt"], ["eval", "satisfied", True], ["prompt_end", "rated"],
                                     ["prompt"], ["prompt_end", "timeout"]]
    ups = health["wrap_up"]
    assert ups == sorted(ups) and ups[-1] > 130000

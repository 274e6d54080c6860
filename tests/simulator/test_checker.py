"""The checker's documented differences, applied to a hand-made truth (simulator.checker)."""

from __future__ import annotations

from datetime import datetime

from host.clock import RULES_TZ, to_ms
from simulator.checker import DOCUMENTED, Row, as_host_knows, explain
from simulator.truth import Truth


def ms(day: int, hhmm: str) -> int:
    h, m = map(int, hhmm.split(":"))
    return to_ms(datetime(2026, 10, day, h, m, tzinfo=RULES_TZ))


def three_days_of_e01() -> Truth:
    """E01 switched on 08:20-17:05 on the 20th, 21st and 22nd; its Wi-Fi lost at 16:00 on the 20th."""
    t = Truth()
    for day in (20, 21, 22):
        t.powered("E01", ms(day, "08:20"))
        t.unpowered("E01", ms(day, "17:05"))
    t.note(ms(20, "16:00"), "E01", "net_down")
    return t


def test_prompts_of_boots_that_never_got_online_are_not_expected_to_be_judged() -> None:
    """E01 in the Qingpu month: Wi-Fi lost from the 20th 16:00 to the 22nd 16:00, the pad switched
    on and off each day. The 21st's boot never got online: from the 20th's power-off to the 22nd's
    power-on the host cannot place a prompt. The 22nd's boot got online, learned the time, and
    is judged again, as are the days around."""
    t = three_days_of_e01()
    t.note(ms(22, "16:00"), "E01", "net_up")
    for day in (20, 21, 22):
        t.evaluation(ms(day, "10:00"), "E01", "satisfied", False, tag="forget_prompt")
        t.note(ms(day, "11:00"), "E01", "prompt_lost", "pad off")
    t.evaluation(ms(20, "17:30"), "A01", "satisfied", False, tag="forget_prompt")   # another window
    known = as_host_knows(t)
    expected = [(e.window, e.at_ms) for e in known.evals if e.tag == "forget_prompt"]
    assert expected == [("E01", ms(20, "10:00")), ("A01", ms(20, "17:30")), ("E01", ms(22, "10:00"))]
    lost = [n.at_ms for n in known.notes if n.kind == "prompt_lost"]
    assert lost == [ms(20, "11:00"), ms(22, "11:00")]
    assert len(known.evals) == len(t.evals)                  # the evaluations all still count
    assert "undatable_boot" in DOCUMENTED


def test_a_boot_that_got_online_during_the_loss_is_judged() -> None:
    t = Truth()
    t.powered("E01", ms(20, "08:20"))
    t.note(ms(20, "09:00"), "E01", "net_down")
    t.note(ms(20, "09:30"), "E01", "net_up")
    t.unpowered("E01", ms(20, "17:05"))
    t.evaluation(ms(20, "09:10"), "E01", "satisfied", False, tag="forget_prompt")
    assert [e.tag for e in as_host_knows(t).evals] == ["forget_prompt"]


def test_a_restart_splits_a_boot_and_keeps_the_clock_it_had() -> None:
    """The firmware restarts after 2 h without the broker. On the 20th the boot had the time and
    kept it through its 16:30 restart; on the 22nd the morning's boot had none, and its 14:21
    restart got online at 16:00: only the time before 14:21 is unknown to the host."""
    t = three_days_of_e01()
    t.note(ms(20, "16:30"), "E01", "reboot")
    t.note(ms(22, "14:21"), "E01", "reboot")
    t.note(ms(22, "16:00"), "E01", "net_up")
    for at in (ms(20, "16:40"), ms(21, "10:00"), ms(22, "14:00"), ms(22, "14:30")):
        t.evaluation(at, "E01", "satisfied", False, tag="forget_prompt")
    expected = [e.at_ms for e in as_host_knows(t).evals if e.tag == "forget_prompt"]
    assert expected == [ms(20, "16:40"), ms(22, "14:30")]


def test_the_person_running_it_is_told_what_is_documented_and_what_is_not() -> None:
    """``evalpad simulate`` prints these lines: a Wi-Fi loss's closure is named with its reason,
    a difference the documented ones do not explain is named as one to report."""
    t = three_days_of_e01()
    truth = {"N": 10, "S": 9, "closures": 0, "final": "4.90"}
    rows = [Row("E01", "公证服务", {**truth, "closures": 1, "final": "3.90"}, truth),
            Row("A01", "综合受理一", {**truth, "N": 11}, truth),
            Row("A02", "综合受理二", truth, truth)]
    known = [Row("E01", "公证服务", rows[0].host, rows[0].host), rows[1], rows[2]]
    lines = explain(rows, known, t)
    assert lines[0].startswith("已知差异（有意显示）E01——网络中断") and "R7" in lines[0]
    assert lines[-1] == "未解释的差异（请报告：主机与它能知道的真实情况不一致）：A01 有效评价"
    assert len(lines) == 2
    assert explain(rows[::2], known[::2], t)[-1] == "未解释的差异：无"

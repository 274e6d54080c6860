"""Scenario files: the shipped ones load, and every mistake is named with its file and line."""

from __future__ import annotations

import pytest

from simulator import scenario
from simulator.scenario import ScenarioError, parse

GOOD = """\
hall:
  name: 测试
  windows:
    - {number: A01, name: 综合受理}
    - {number: P01, name: 交警, category: police_traffic}
period: {start: 2026-10-12, end: 2026-10-13}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as err:
        parse(text, "s.yaml")
    return err.value.problems


@pytest.mark.parametrize("name", ["qingpu-hall", "small-month", "three-days", "tiny", "demo-hall",
                                  "five-level"])
def test_shipped_scenarios_load(name: str) -> None:
    sc = scenario.load(name)
    assert sc.hall.windows and sc.source.endswith(f"{name}.yaml")


def test_qingpu_hall_has_thirty_windows_and_the_three_police_windows_r5a() -> None:
    sc = scenario.load("qingpu-hall")
    assert len(sc.hall.windows) == 30
    police = {w.name: w.category for w in sc.hall.windows if w.placard}
    assert police == {"交警": "police_traffic", "治安": "police_public_security",
                      "出入境": "police_exit_entry"}


def test_defaults_fill_what_a_window_leaves_out() -> None:
    sc = parse(GOOD + "behaviour:\n  default: {satisfaction: 0.5}\n  windows:\n    A01: {service: 90s}\n")
    a01, p01 = sc.behaviour_of("A01"), sc.behaviour_of("P01")
    assert a01.satisfaction == p01.satisfaction == 0.5
    assert a01.service == 90_000 and p01.service == 6 * 60_000     # the shipped default, 6 min
    assert sc.device_of(sc.hall.windows[0]) == "sim-a01"


def test_durations_in_every_unit() -> None:
    sc = parse(GOOD + "incidents:\n"
               "  - {at: 2026-10-12 10:00, kind: power_cut, windows: [A01], duration: 90s}\n"
               "  - {at: 2026-10-12 10:00, kind: network_loss, windows: all, duration: 2d}\n"
               "  - {at: 2026-10-12 10:00, kind: stuck_button, windows: [P01], duration: 15}\n")
    assert [i.duration for i in sc.incidents] == [90_000, 2 * 86_400_000, 15 * 60_000]
    assert len(sc.incident_windows(sc.incidents[1])) == 2


def test_a_misspelt_key_is_named_with_its_line_and_a_suggestion() -> None:
    (p,) = problems(GOOD.replace("name: 综合受理}", "name: 综合受理, catgory: general}"))
    assert p.startswith("s.yaml:4: hall.windows[0].catgory: unknown key 'catgory'")
    assert "did you mean 'category'?" in p


def test_every_problem_is_listed_not_only_the_first() -> None:
    text = GOOD.replace("end: 2026-10-13", "end: 2026-10-01") + (
        "behaviour:\n  default: {service: 5 minutes, satisfaction: 2}\n"
        "incidents:\n  - {at: 2026-10-12 25:00, kind: meteor}\n")
    ps = problems(text)
    assert any(p.startswith("s.yaml:6: period") and "end is before" in p for p in ps)
    assert any(p.startswith("s.yaml:8: behaviour.default.service") and "write e.g. 90s, 30m" in p for p in ps)
    assert any("behaviour.default.satisfaction" in p and "less than or equal to 1" in p for p in ps)
    assert any(p.startswith("s.yaml:10: incidents[0].at") for p in ps)
    assert any("incidents[0].kind" in p and "power_cut" in p for p in ps)


def test_references_to_unknown_windows_are_refused_with_a_suggestion() -> None:
    (p,) = problems(GOOD + "behaviour:\n  windows:\n    A1: {prompt: 0.5}\n")
    assert "behaviour.windows names window 'A1'" in p and "did you mean 'A01'?" in p


def test_incident_shapes() -> None:
    (p,) = problems(GOOD + "incidents:\n  - {at: 2026-10-12 10:00, kind: power_cut, windows: [A01]}\n")
    assert "needs a 'duration'" in p
    (p,) = problems(GOOD + "incidents:\n  - {at: 2026-10-12 10:00, kind: broker_restart, windows: [A01]}\n")
    assert "whole hall" in p


def test_duplicate_windows_and_bad_device_ids() -> None:
    (p,) = problems(GOOD.replace("P01, name: 交警", "A01, name: 交警"))
    assert "window number 'A01' appears twice" in p
    (p,) = problems(GOOD.replace("{number: A01, name: 综合受理}",
                                 "{number: A01, name: 综合受理, device: X_1}"))
    assert "device id 'X_1' is not valid" in p


def test_not_yaml_and_empty_files() -> None:
    (p,) = problems("hall: [\n")
    assert p.startswith("s.yaml:2: not valid YAML")
    (p,) = problems("")
    assert "empty" in p


def test_a_missing_file_lists_the_shipped_scenarios() -> None:
    with pytest.raises(ScenarioError, match="qingpu-hall"):
        scenario.load("no-such-hall")

"""Golden cases (golden/*.json) under both interpreters, in one pytest run.

Every case is one test item per interpreter: ``test_golden_cpython[<file>/<name>]`` and
``test_golden_micropython[<file>/<name>]``. MicroPython runs all cases in a single
interpreter call (a session-scoped cache) and each item checks its own case's result,
so a failure names the exact case and interpreter. Inputs where MicroPython's ``json`` is
knowingly more lenient than the contract are not here: see test_cpython_only.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from protocol import errors, spec
from tests.protocol import golden, golden_runner

CASES = golden.load_all()
BY_ID = {c["id"]: c for c in CASES}
IDS = [c["id"] for c in CASES]
MP_HEAP = 16 << 20   # the whole case set and its results live in the heap at once


def _runner_input() -> list[dict[str, Any]]:
    return [{k: c[k] for k in ("id", "op", "args", "kwargs")} for c in CASES]


@pytest.fixture(scope="session")
def micropython_results(micropython: Any) -> dict[str, Any]:
    """{case id: result} from one run of the real MicroPython over every case."""
    code = (
        "import json\n"
        "import golden_runner\n"
        "with open('/golden/cases.json') as f:\n"
        "    cases = json.load(f)\n"
        "print(json.dumps(golden_runner.run_all(cases)))\n"
    )
    files = {
        "/lib/golden_runner.py": (golden.Path(golden_runner.__file__)).read_text(),
        "/golden/cases.json": json.dumps(_runner_input()),
    }
    out = micropython.run(code, files=files, heapsize=MP_HEAP)
    results: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    assert sorted(results) == sorted(IDS), "MicroPython did not report every case"
    return results


@pytest.mark.parametrize("case_id", IDS)
def test_golden_cpython(case_id: str) -> None:
    case = BY_ID[case_id]
    # Through JSON, as MicroPython's results are, so both are compared alike.
    result = json.loads(json.dumps(golden_runner.run_case(case)))
    golden.check(case, result)


@pytest.mark.micropython
@pytest.mark.parametrize("case_id", IDS)
def test_golden_micropython(case_id: str, micropython_results: dict[str, Any]) -> None:
    golden.check(BY_ID[case_id], micropython_results[case_id])


def test_micropython_runner_is_the_real_interpreter(micropython: Any) -> None:
    """Guard against the MicroPython items silently running CPython."""
    out = micropython.run("import sys\nprint(sys.implementation.name, sys.implementation.version[:2])")
    assert out.split() == ["micropython", "(1,", "27)"]


# -- the golden set covers the contract ------------------------------------------------

def test_every_error_code_has_a_golden_case() -> None:
    seen = {c["expected"]["error"]["code"] for c in CASES if "error" in c["expected"]}
    assert set(errors.CODES) <= seen, f"no golden case for {sorted(set(errors.CODES) - seen)}"


def _accepted_types(kind: str) -> set[str]:
    return {c["expected"]["ok"]["type"] for c in CASES
            if c["op"] == "parse" and c["args"][0] == kind and "ok" in c["expected"]}


def test_every_event_type_has_a_valid_golden_case() -> None:
    accepted = _accepted_types(spec.EVENT)
    assert set(spec.EVENT_TYPES) <= accepted
    assert accepted - set(spec.EVENT_TYPES), "Delivery 6: a case where an unknown type is accepted"


def test_every_command_type_has_a_valid_golden_case() -> None:
    assert _accepted_types(spec.CMD) == set(spec.COMMAND_TYPES)


def test_every_enum_value_is_accepted_somewhere() -> None:
    """Each value of each enum field appears in an accepted event, state or command."""
    accepted = [c["expected"]["ok"] for c in CASES if c["op"] == "parse" and "ok" in c["expected"]]
    tables = [spec.STATE_FIELDS, *spec.EVENT_TYPES.values(), *spec.COMMAND_TYPES.values()]
    for fields in tables:
        for name, kind, _ in fields:
            if type(kind) is tuple:
                missing = set(kind) - {m.get(name) for m in accepted}
                assert not missing, f"no accepted golden case with {name} = {sorted(missing)}"


def test_every_topic_kind_has_valid_and_invalid_cases() -> None:
    for kind in spec.TOPIC_KINDS:
        mine = [c for c in CASES if c["op"] == "parse" and c["args"][0] == kind]
        assert any("ok" in c["expected"] for c in mine), kind
        assert any("error" in c["expected"] for c in mine), kind


def test_golden_set_is_large() -> None:
    assert len(CASES) >= 300

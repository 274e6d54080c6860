"""The ``micropython`` fixture runs the real interpreter on exactly the repo's files,
and missing services fail under CI=true instead of skipping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support import micropython as mp
from tests.support import services

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.micropython
def test_it_is_micropython_1_27(micropython: Any) -> None:
    out = micropython.run("import sys\nprint(sys.implementation.name)\nprint(sys.implementation.version)")
    assert out.split("\n")[:2] == ["micropython", "(1, 27, 0, '')"]


@pytest.mark.micropython
def test_protocol_files_are_mounted_unchanged(micropython: Any) -> None:
    names = sorted(p.name for p in (ROOT / "protocol").glob("*.py"))
    code = ("import json\nout = {}\n"
            "for n in %r:\n"
            "    with open('/lib/protocol/' + n) as f:\n"
            "        out[n] = f.read()\n"
            "print(json.dumps(out))\n") % (names,)
    got = json.loads(micropython.run(code).strip().splitlines()[-1])
    assert got == {n: (ROOT / "protocol" / n).read_text() for n in names}


@pytest.mark.micropython
def test_extra_files_and_imports(micropython: Any) -> None:
    out = micropython.run("import helper\nprint(helper.X * 2)", files={"/lib/helper.py": "X = 21\n"})
    assert out.strip() == "42"


@pytest.mark.micropython
def test_a_raise_under_micropython_fails_with_its_traceback(micropython: Any) -> None:
    with pytest.raises(mp.MicroPythonError, match=r"ImportError|no module named 'typing'"):
        micropython.run("import typing")     # CPython has it; MicroPython does not


@pytest.mark.micropython
def test_run_json(micropython: Any) -> None:
    assert micropython.run_json("import json\nprint('noise')\nprint(json.dumps({'a': [1, None]}))") == {
        "a": [1, None]}


def test_missing_service_skips_locally_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        services.missing("mosquitto is not installed")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true but mosquitto is not installed"):
        services.missing("mosquitto is not installed")

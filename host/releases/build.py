"""`evalpad pad release`: compile the pad's program into a versioned release with a manifest.

The release is the program tree of ``evalpad pad build`` (``lib/firmware``, ``lib/protocol`` as
mpy-cross bytecode) without the loader (``main.py``, which only a USB deploy writes), laid
out as a pad's slot holds it, plus ``manifest.json`` (host.releases.manifest).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from host.provision import build as builder
from host.releases import manifest
from protocol import spec

MPY_VERSION = 6          # mpy-cross 1.27 emits .mpy v6 (MicroPython 1.27 loads v6)


def build_release(version: str, out: Path, root: Path = builder.ROOT,
                  sources: tuple[str, ...] = builder.SOURCES) -> bytes:
    """Write the release into ``out`` (emptied first); return its manifest's bytes."""
    manifest.check_version(version)
    with tempfile.TemporaryDirectory() as tmp:
        tree = builder.build(Path(tmp) / "tree", root=root, sources=sources).out / builder.LIB
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        entries = []
        for path in sorted(p for p in tree.rglob("*.mpy")):
            rel = path.relative_to(tree).as_posix()
            data = path.read_bytes()
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            (out / rel).write_bytes(data)
            entries.append(manifest.FileEntry(rel, len(data), manifest.sha256_hex(data)))
    data = manifest.make(version, entries, spec.VERSION, MPY_VERSION)
    (out / "manifest.json").write_bytes(data)
    return data


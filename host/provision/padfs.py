"""Files on a pad's flash, written through its raw REPL and verified by SHA-256.

A file is written to ``<path>.part`` in chunks, its hash checked on the pad, and only then
renamed over ``<path>``: a cable pulled half-way leaves the old file whole (the identity
file above all: a pad without it cannot connect).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging

from host.provision.rawrepl import PadError, RawRepl, ReplError

log = logging.getLogger(__name__)

WRITE_CHUNK = 1024     # raw bytes per exec: its base64 line compiles in a few KB of pad RAM
PART = ".part"
# The firmware runs machine.WDT with 30 s (firmware/pad/health.py WDT_MS); Ctrl-C stops
# the loop that feeds it, and an ESP32 watchdog cannot be stopped, so a long deploy
# feeds it itself.  On a pad that never started one this starts it: the soft reset at the
# end runs main.py, which feeds it from then on.
WATCHDOG_MS = 30000


class WriteFailed(ReplError):
    """A file did not land on the pad intact; the message says which and why."""


def _q(path: str) -> str:
    return repr(path)      # a str literal both Pythons read the same way


def mkdirs(repl: RawRepl, directory: str) -> None:
    """Create ``directory`` and its parents on the pad (existing ones are fine)."""
    parts = [p for p in directory.split("/") if p]
    if not parts:
        return
    paths = ["/" + "/".join(parts[:i + 1]) for i in range(len(parts))]
    repl.exec("import os\nfor p in {!r}:\n    try:\n        os.mkdir(p)\n    except OSError:\n"
              "        pass\n".format(paths))


def feed_watchdog(repl: RawRepl, timeout_ms: int = WATCHDOG_MS) -> None:
    """Keep the pad's watchdog from resetting it mid-copy (no-op where there is no machine)."""
    repl.exec("try:\n    import machine\n    machine.WDT(timeout={}).feed()\n"
              "except (ImportError, AttributeError):\n    pass\n".format(timeout_ms))


def put(repl: RawRepl, path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` on the pad; WriteFailed unless it landed byte for byte."""
    if not path.startswith("/"):
        raise ValueError("pad paths are absolute, got {!r}".format(path))
    part = path + PART
    # Open with the first chunk and close+hash with the last: a small file is one block.
    blocks = ["_f.write(binascii.a2b_base64({!r}))\n".format(
        base64.b64encode(data[i:i + WRITE_CHUNK])) for i in range(0, len(data), WRITE_CHUNK)] or [""]
    blocks[0] = "import binascii\n_f = open({}, 'wb')\n".format(_q(part)) + blocks[0]
    blocks[-1] += "_f.close()\n" + _HASH.format(_q(part))
    try:
        for code in blocks:
            out = repl.exec(code)
        got = out.strip()
    except PadError as exc:
        raise WriteFailed(
            "在评价器上写入 {} 失败：{}（评价器的回答：{}）。是闪存满了，还是路径被同名文件占用？"
            "用 `mpremote ls` 检查、腾出空间后重试".format(
                path, exc, exc.traceback.splitlines()[-1] if exc.traceback else "?"))
    want = "{} {}".format(hashlib.sha256(data).hexdigest(), len(data))
    if got != want:
        raise WriteFailed("{} 写到评价器上后已损坏（sha256 和大小为 {!r}，应为 {!r}）："
                          "请检查 USB 线后重试".format(path, got, want))
    try:
        repl.exec(_RENAME.format(part=_q(part), path=_q(path)))
    except PadError as exc:
        raise WriteFailed("{} 已写入，但未能替换旧文件：{}".format(path, exc))
    log.info("wrote %s (%d bytes)", path, len(data))


def prune(repl: RawRepl, roots: list[str], keep: set[str]) -> list[str]:
    """Remove every file under ``roots`` on the pad that is not in ``keep``; return them.

    A stale module must not outlive a deploy: MicroPython imports ``x.py`` before
    ``x.mpy``, so a source file left by an earlier copy would shadow the new bytecode.
    """
    out = repl.exec(_PRUNE.format(roots=sorted(roots), keep=sorted(keep)))
    removed: list[str] = json.loads(out.strip().splitlines()[-1])
    for path in removed:
        log.info("removed stale %s", path)
    return removed


def remove(repl: RawRepl, path: str) -> bool:
    """Remove one file if it exists; True if it did."""
    code = "import os\ntry:\n    os.remove({})\n    print(1)\nexcept OSError:\n    print(0)\n"
    out = repl.exec(code.format(_q(path)))
    return out.strip().endswith("1")


def read(repl: RawRepl, path: str) -> bytes | None:
    """A file's bytes from the pad, or None if it does not exist."""
    out = repl.exec("import binascii\ntry:\n    _f = open({}, 'rb')\nexcept OSError:\n"
                    "    print('-')\nelse:\n    print(binascii.b2a_base64(_f.read()).decode().strip())\n"
                    "    _f.close()\n".format(_q(path))).strip()
    return None if out == "-" else base64.b64decode(out)


# Hash in 512-byte reads: the pad never holds the whole file in RAM.
_HASH = """import hashlib, binascii, os
_h = hashlib.sha256()
_f = open({0}, 'rb')
while True:
    _b = _f.read(512)
    if not _b:
        break
    _h.update(_b)
_f.close()
print(binascii.hexlify(_h.digest()).decode(), os.stat({0})[6])
"""

# littlefs renames over an existing file; FAT refuses, so remove first there.
_RENAME = """import os
try:
    os.rename({part}, {path})
except OSError:
    os.remove({path})
    os.rename({part}, {path})
"""

_PRUNE = """import os, json
_keep = set({keep!r})
_removed = []
def _walk(d):
    try:
        entries = list(os.ilistdir(d))
    except OSError:
        return
    for e in entries:
        p = d + '/' + e[0]
        if e[1] == 0x4000:
            _walk(p)
        elif p not in _keep:
            os.remove(p)
            _removed.append(p)
for _r in {roots!r}:
    _walk(_r)
print(json.dumps(_removed))
"""

"""A simulated pad on the far end of a pseudo-terminal, speaking MicroPython's REPL byte-exactly.

The host's provisioning code opens the pty's slave with pyserial as if it were
/dev/ttyUSB0.  This end answers as MicroPython 1.27's pyexec does (friendly REPL, raw REPL
banner, "OK", output, "\\x04", error, "\\x04", ">"), and runs every received code block in
the real MicroPython interpreter (tests/provision/mp_pad.mjs), whose filesystem is then
inspected byte for byte.
"""

from __future__ import annotations

import base64
import json
import os
import select
import subprocess
import threading
import tty
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"
FRIENDLY_BANNER = (b"MicroPython v1.27.0 on 2025-12-10; ESP32 module with ESP32\r\n"
                   b'Type "help()" for more information.\r\n')
INTERRUPTED = (b"Traceback (most recent call last):\r\n  File \"main.py\", line 12, in <module>\r\n"
               b"KeyboardInterrupt: \r\n")


class SimPad:
    """``with SimPad() as pad: ... pad.port ... pad.files()``."""

    def __init__(self, answer: bool = True, corrupt_writes: bool = False,
                 mode: str = "running", die_after: int | None = None) -> None:
        self.answer = answer                  # False: a device that never speaks (not MicroPython)
        self.corrupt_writes = corrupt_writes  # flip one base64 character of every write: a bad cable
        self.rx = bytearray()                 # every byte the host sent
        self.codes: list[str] = []            # every code block executed
        self.soft_resets = 0
        self.raw_entries = 0
        self.mode = mode                      # "running" (main.py), "friendly" or "raw"
        self.die_after = die_after            # go silent at this code block: a cable pulled
        self._line = bytearray()
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        tty.setraw(self._slave)
        self.port = os.ttyname(self._slave)
        self._node = subprocess.Popen(["node", str(HERE / "mp_pad.mjs")], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True, cwd=ROOT)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="simpad", daemon=True)

    def __enter__(self) -> SimPad:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        assert self._node.stdin is not None
        self._node.stdin.close()
        self._node.wait(10)
        os.close(self._master)
        os.close(self._slave)

    # -- the interpreter ------------------------------------------------------------
    def _ask(self, req: dict) -> dict:
        assert self._node.stdin is not None and self._node.stdout is not None
        self._node.stdin.write(json.dumps(req) + "\n")
        self._node.stdin.flush()
        line = self._node.stdout.readline()
        if not line:
            raise RuntimeError("the MicroPython process of the simulated pad died")
        return json.loads(line)  # type: ignore[no-any-return]

    def put(self, path: str, data: bytes) -> None:
        """Put a file on the pad's flash before the test (e.g. an old identity)."""
        self._ask({"op": "put", "path": path, "b64": base64.b64encode(data).decode()})

    def files(self) -> dict[str, bytes]:
        """Every file on the pad's flash, by absolute path."""
        return {p: base64.b64decode(b) for p, b in self._ask({"op": "files"})["files"].items()}

    def run(self, code: str) -> str:
        """Run code on the pad directly (not over the wire); raise on error."""
        res = self._ask({"op": "exec", "code": code})
        if res["err"]:
            raise AssertionError(res["err"])
        return res["out"]  # type: ignore[no-any-return]

    # -- the wire ---------------------------------------------------------------------
    def _send(self, data: bytes) -> None:
        os.write(self._master, data)

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self._master, 4096)
            except OSError:
                return
            self.rx += data
            if self.answer:
                for b in data:
                    self._byte(bytes([b]))

    def _byte(self, c: bytes) -> None:
        if self.mode == "running":
            if c == b"\x03":
                self._send(INTERRUPTED + FRIENDLY_BANNER + b">>> ")
                self.mode = "friendly"
        elif self.mode == "friendly":
            if c == b"\x01":
                self.mode = "raw"
                self.raw_entries += 1
                self._line.clear()
                self._send(b"\r\n" + RAW_BANNER + b">")
            elif c == b"\x04":
                self.soft_resets += 1
                self.mode = "running"
                self._send(b"MPY: soft reboot\r\n")
            elif c in (b"\r", b"\x03"):
                self._send(b"\r\n>>> ")
            elif c == b"\x02":
                self._send(b"\r\n" + FRIENDLY_BANNER + b">>> ")
            else:
                self._send(c)                      # echo
        else:  # raw
            if c == b"\x01":
                self._line.clear()
                self._send(RAW_BANNER + b">")
            elif c == b"\x02":
                self.mode = "friendly"
                self._send(b"\r\n" + FRIENDLY_BANNER + b">>> ")
            elif c == b"\x03":
                self._line.clear()
            elif c == b"\x04":
                if not self._line:                  # Ctrl-D on an empty line: soft reset
                    self.soft_resets += 1
                    self._send(b"OK\r\nMPY: soft reboot\r\n" + RAW_BANNER + b">")
                    return
                self._exec(self._line.decode())
                self._line.clear()
            else:
                self._line += c

    def _exec(self, code: str) -> None:
        if self.die_after is not None and len(self.codes) >= self.die_after:
            self.answer = False
            return
        if self.corrupt_writes and "a2b_base64(b'" in code:
            i = code.index("a2b_base64(b'") + len("a2b_base64(b'")
            code = code[:i] + ("B" if code[i] != "B" else "C") + code[i + 1:]
        self.codes.append(code)
        self._send(b"OK")
        res = self._ask({"op": "exec", "code": code})
        cooked = res["out"].replace("\n", "\r\n").encode()
        err = res["err"].replace("\n", "\r\n").encode()
        self._send(cooked + b"\x04" + err + b"\x04>")

"""MicroPython's raw REPL over USB serial, as pyboard.py and mpremote speak it.

Ctrl-C stops whatever runs, Ctrl-A enters the raw REPL ("raw REPL; CTRL-B to exit\\r\\n>"),
code is sent followed by Ctrl-D, and the pad answers "OK", the output, "\\x04", the error
output, "\\x04" and ">".  Ctrl-B returns to the friendly REPL, where Ctrl-D soft-resets.
Every failure raises a ReplError whose message says what to do.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable

import serial

log = logging.getLogger(__name__)

CTRL_A, CTRL_B, CTRL_C, CTRL_D = b"\x01", b"\x02", b"\x03", b"\x04"
RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n>"
SOFT_REBOOT = b"soft reboot"
BAUD = 115200                 # MicroPython's USB-serial REPL on the ESP32
ANSWER_TIMEOUT_S = 5.0        # a pad at its REPL answers within milliseconds
EXEC_TIMEOUT_S = 30.0         # flash writes of one chunk take well under a second
CHUNK = 256                   # pyboard.py's raw-REPL chunk: the ESP32's UART buffer is small ...
CHUNK_PAUSE_S = 0.01          # ... so pause between chunks rather than overrun it
INTERRUPT_SETTLE_S = 0.2      # let a running program die from Ctrl-C before draining its output


class ReplError(RuntimeError):
    """Talking to the pad failed; the message says why and what to do."""


class PortMissing(ReplError):
    pass


class NoAnswer(ReplError):
    pass


class PadError(ReplError):
    """Code sent to the pad raised there; ``traceback`` holds the pad's error output."""

    def __init__(self, message: str, traceback: str) -> None:
        super().__init__(message)
        self.traceback = traceback


def open_port(port: str, baud: int = BAUD, timeout: float = 0.1) -> serial.Serial:
    """Open ``port`` or raise PortMissing / ReplError saying how to fix it."""
    if not os.path.exists(port):
        raise PortMissing(
            "serial port {} does not exist: plug the pad in with a data (not charge-only) USB "
            "cable, then list ports with `python -m serial.tools.list_ports` and pass --port".format(port))
    try:
        return serial.Serial(port, baud, timeout=timeout)
    except (serial.SerialException, OSError) as exc:
        raise ReplError(
            "cannot open {}: {}. Close other programs using it (mpremote, screen, Thonny) and "
            "check you may use serial ports (Linux: the dialout group)".format(port, exc))


class RawRepl:
    """One pad's raw REPL.  ``with RawRepl(open_port(p)) as repl: repl.exec("print(1)")``."""

    def __init__(self, port: serial.Serial, answer_timeout: float = ANSWER_TIMEOUT_S,
                 chunk_pause: float = CHUNK_PAUSE_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.port = port
        self.name = getattr(port, "port", None) or "the serial port"
        self.answer_timeout = answer_timeout
        self.chunk_pause = chunk_pause
        self.clock = clock
        self.in_raw = False
        self._buf = bytearray()

    def __enter__(self) -> RawRepl:
        self.enter()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.in_raw:
                self.leave()
        finally:
            self.port.close()

    # -- bytes --------------------------------------------------------------------
    def _write(self, data: bytes) -> None:
        try:
            self.port.write(data)
            self.port.flush()
        except (serial.SerialException, OSError) as exc:
            raise ReplError("writing to {} failed ({}): the pad was unplugged or reset; "
                            "plug it in again and retry".format(self.name, exc))

    def read_until(self, ending: bytes, timeout: float, doing: str) -> bytes:
        """Bytes up to and including the first ``ending``; NoAnswer after ``timeout`` seconds.

        What arrives after ``ending`` stays buffered for the next call: the pad often sends
        output, "\\x04", errors, "\\x04" and ">" in one burst.
        """
        deadline = self.clock() + timeout
        while True:
            i = self._buf.find(ending)
            if i >= 0:
                end = i + len(ending)
                data = bytes(self._buf[:end])
                del self._buf[:end]
                return data
            try:
                chunk = self.port.read(max(1, self.port.in_waiting))
            except (serial.SerialException, OSError) as exc:
                raise ReplError("reading from {} failed ({}) while {}: the pad was unplugged "
                                "or reset; plug it in again and retry".format(self.name, exc, doing))
            if chunk:
                self._buf += chunk
            elif self.clock() > deadline:
                tail = bytes(self._buf[-60:])
                raise NoAnswer(
                    "no answer from a MicroPython REPL on {} within {:.0f} s while {} (got {!r}). "
                    "Is this a pad with MicroPython? Press its reset button, close other serial "
                    "programs, and retry".format(self.name, timeout, doing, tail))

    def _drain(self) -> None:
        self._buf.clear()
        while self.port.in_waiting:
            self.port.read(self.port.in_waiting)

    # -- modes --------------------------------------------------------------------
    def enter(self) -> None:
        """Stop the running program and enter the raw REPL."""
        self._write(b"\r" + CTRL_C + CTRL_C)
        time.sleep(INTERRUPT_SETTLE_S)
        self._drain()
        self._write(b"\r" + CTRL_A)
        self.read_until(RAW_BANNER, self.answer_timeout, "entering the raw REPL")
        self.in_raw = True

    def leave(self) -> None:
        """Back to the friendly REPL (the pad stays stopped until reset)."""
        self._write(b"\r" + CTRL_B)
        self.read_until(b">>> ", self.answer_timeout, "leaving the raw REPL")
        self.in_raw = False

    def soft_reset(self) -> None:
        """Restart MicroPython (boot.py, then main.py) from the friendly REPL."""
        if self.in_raw:
            self.leave()
        self._write(CTRL_D)
        self.read_until(SOFT_REBOOT, self.answer_timeout, "soft-resetting")

    # -- code ---------------------------------------------------------------------
    def exec(self, code: str, timeout: float = EXEC_TIMEOUT_S) -> str:
        """Run ``code`` on the pad; return its output (``\\n`` line ends) or raise PadError."""
        if not self.in_raw:
            raise ReplError("not in the raw REPL: call enter() first")
        data = code.encode()
        for i in range(0, len(data), CHUNK):
            self._write(data[i:i + CHUNK])
            if self.chunk_pause:
                time.sleep(self.chunk_pause)
        self._write(CTRL_D)
        ok = self.read_until(b"OK", self.answer_timeout, "sending code")
        if ok != b"OK":     # anything before OK means the pad was not waiting at ">"
            raise ReplError("the pad did not accept the code (answered {!r} instead of OK): "
                            "retry; if it persists, reset the pad".format(ok[:60]))
        out = self.read_until(CTRL_D, timeout, "running code")[:-1]
        err = self.read_until(CTRL_D, timeout, "running code")[:-1]
        self.read_until(b">", self.answer_timeout, "finishing code")
        text = out.decode("utf-8", "replace").replace("\r\n", "\n")
        if err:
            tb = err.decode("utf-8", "replace").replace("\r\n", "\n").strip()
            last = tb.splitlines()[-1] if tb else "error"
            raise PadError("the pad raised {}".format(last), tb)
        return text

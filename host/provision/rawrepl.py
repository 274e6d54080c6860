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
            "串口 {} 不存在：请用能传数据的 USB 线（不是只能充电的线）插上评价器，"
            "再用 `python -m serial.tools.list_ports` 列出串口，用 --port 指定".format(port))
    try:
        return serial.Serial(port, baud, timeout=timeout)
    except (serial.SerialException, OSError) as exc:
        raise ReplError(
            "无法打开 {}：{}。请关闭正在使用它的程序（mpremote、screen、Thonny），"
            "并确认有权使用串口（Linux：dialout 用户组）".format(port, exc))


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
            raise ReplError("向 {} 写入失败（{}）：评价器被拔下或复位了；"
                            "请重新插上后重试".format(self.name, exc))

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
                raise ReplError("{}时从 {} 读取失败（{}）：评价器被拔下或复位了；"
                                "请重新插上后重试".format(doing, self.name, exc))
            if chunk:
                self._buf += chunk
            elif self.clock() > deadline:
                tail = bytes(self._buf[-60:])
                raise NoAnswer(
                    "{}时，{} 上的 MicroPython REPL 在 {:.0f} 秒内没有回答（收到 {!r}）。"
                    "这是装有 MicroPython 的评价器吗？请按它的复位键，关闭其他串口程序后重试".format(
                        doing, self.name, timeout, tail))

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
        self.read_until(RAW_BANNER, self.answer_timeout, "进入 raw REPL ")
        self.in_raw = True

    def leave(self) -> None:
        """Back to the friendly REPL (the pad stays stopped until reset)."""
        self._write(b"\r" + CTRL_B)
        self.read_until(b">>> ", self.answer_timeout, "退出 raw REPL ")
        self.in_raw = False

    def soft_reset(self) -> None:
        """Restart MicroPython (boot.py, then main.py) from the friendly REPL."""
        if self.in_raw:
            self.leave()
        self._write(CTRL_D)
        self.read_until(SOFT_REBOOT, self.answer_timeout, "软重启")

    # -- code ---------------------------------------------------------------------
    def exec(self, code: str, timeout: float = EXEC_TIMEOUT_S) -> str:
        """Run ``code`` on the pad; return its output (``\\n`` line ends) or raise PadError."""
        if not self.in_raw:
            raise ReplError("不在 raw REPL 中：请先调用 enter()")
        data = code.encode()
        for i in range(0, len(data), CHUNK):
            self._write(data[i:i + CHUNK])
            if self.chunk_pause:
                time.sleep(self.chunk_pause)
        self._write(CTRL_D)
        ok = self.read_until(b"OK", self.answer_timeout, "发送代码")
        if ok != b"OK":     # anything before OK means the pad was not waiting at ">"
            raise ReplError("评价器没有接受代码（回答 {!r}，而不是 OK）："
                            "请重试；仍然如此就复位评价器".format(ok[:60]))
        out = self.read_until(CTRL_D, timeout, "运行代码")[:-1]
        err = self.read_until(CTRL_D, timeout, "运行代码")[:-1]
        self.read_until(b">", self.answer_timeout, "结束代码")
        text = out.decode("utf-8", "replace").replace("\r\n", "\n")
        if err:
            tb = err.decode("utf-8", "replace").replace("\r\n", "\n").strip()
            last = tb.splitlines()[-1] if tb else "error"
            raise PadError("评价器上出错：{}".format(last), tb)
        return text

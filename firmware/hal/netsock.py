"""Sockets for umqtt.simple with a bounded wait on every platform.

umqtt.simple calls ``sock.setblocking(True)`` after each non-blocking poll, which on both
MicroPython and CPython means "wait forever": one silent broker would freeze the pad's main
loop (buttons, display, watchdog).  ``TimeoutSocket`` turns that call into "block for at
most ``timeout_s``", so every network call returns or raises OSError within the timeout.
Under CPython it also supplies the ``read``/``write`` stream methods umqtt uses (CPython
sockets only have ``recv``/``send``).  ``rx`` counts received bytes: the connection manager
uses it to see that a keepalive ping was answered.
"""


from firmware.hal import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any


class TimeoutSocket:
    def __init__(self, raw: "Any", timeout_s: float) -> None:
        self.raw = raw
        self.timeout_s = timeout_s
        self.rx = 0
        self._stream = hasattr(raw, "read")   # MicroPython sockets are streams
        raw.settimeout(timeout_s)

    def connect(self, addr: object) -> None:
        self.raw.connect(addr)

    def settimeout(self, t: "float | None") -> None:
        self.raw.settimeout(self.timeout_s if t is None else t)

    def setblocking(self, flag: bool) -> None:
        # True means "wait", and we never wait longer than timeout_s (see module doc).
        self.raw.settimeout(self.timeout_s if flag else 0)

    def read(self, n: int) -> "bytes | None":
        if self._stream:
            data = self.raw.read(n)
        else:
            data = self._recv(n)
        if data:
            self.rx += len(data)
        return data

    def _recv(self, n: int) -> "bytes | None":
        """CPython: read exactly n bytes (fewer only at EOF); None if non-blocking and empty."""
        chunks = []
        got = 0
        while got < n:
            try:
                part = self.raw.recv(n - got)
            except BlockingIOError:
                if got == 0:
                    return None
                # Part of a packet has come: wait for the rest (bounded by the timeout).
                self.raw.settimeout(self.timeout_s)
                continue
            if not part:
                break
            chunks.append(part)
            got += len(part)
        return b"".join(chunks)

    def write(self, buf: "bytes | str", n: "int | None" = None) -> int:
        raw = buf.encode() if isinstance(buf, str) else buf   # CPython sockets need bytes
        data = raw if n is None else memoryview(raw)[:n]
        if self._stream:
            return self.raw.write(data)
        self.raw.sendall(data)
        return len(data)

    def close(self) -> None:
        try:
            self.raw.close()
        except OSError:
            pass


class SocketModule:
    """What umqtt.simple sees as its ``socket`` module: ``socket()`` and ``getaddrinfo``."""

    def __init__(self, sockmod: "Any", timeout_s: float = 0.5) -> None:
        self.mod = sockmod
        self.timeout_s = timeout_s
        self.last = None   # type: TimeoutSocket | None  # the most recent socket (tests kill it)

    def socket(self) -> TimeoutSocket:
        raw = self.mod.socket()
        # umqtt writes a packet in 3-4 small writes; with Nagle's algorithm the later ones
        # wait for the peer's delayed ACK (~40 ms each), so a QoS 1 publish took ~30 ms
        # instead of well under 1 ms (measured). Turn it off where the port can.
        nodelay = getattr(self.mod, "TCP_NODELAY", None)
        proto = getattr(self.mod, "IPPROTO_TCP", None)
        if nodelay is not None and proto is not None:
            try:
                raw.setsockopt(proto, nodelay, 1)
            except (OSError, AttributeError):
                pass
        self.last = TimeoutSocket(raw, self.timeout_s)
        return self.last

    def getaddrinfo(self, host: str, port: int) -> list:
        m = self.mod
        # IPv4 stream only: a CPython 'localhost' may list IPv6 first, and the socket is AF_INET.
        return m.getaddrinfo(host, port, m.AF_INET, m.SOCK_STREAM)

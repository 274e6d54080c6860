"""Sockets for umqtt.simple with a bounded wait on every platform.

umqtt.simple calls ``sock.setblocking(True)`` after each non-blocking poll, which on both
MicroPython and CPython means "wait forever": one silent broker would freeze the pad's main
loop (buttons, display, watchdog).  ``TimeoutSocket`` turns that call into "block for at
most ``timeout_s``", so every network call returns or raises OSError within the timeout.
Under CPython it also supplies the ``read``/``write`` stream methods umqtt uses (CPython
sockets only have ``recv``/``send``).  ``rx`` counts received bytes: the connection manager
uses it to see that a keepalive ping was answered.

Under CPython (the simulator, the broker tests) a packet that umqtt writes in 3-5 pieces
goes out as one ``sendall`` just before the next read (``flush``; the simulator also flushes
after every loop step), and reads are served from one ``recv`` of what has arrived: one
system call where there were five, which was most of a simulated hall's time. MicroPython's
stream sockets are used as they are.
"""


from firmware.hal import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

RECV_CHUNK = 4096   # CPython: what one recv takes of what has arrived


class TimeoutSocket:
    def __init__(self, raw: "Any", timeout_s: float) -> None:
        self.raw = raw
        self.timeout_s = timeout_s
        self.rx = 0
        self._stream = hasattr(raw, "read")   # MicroPython sockets are streams
        self._out = []  # type: list  # CPython: written, not yet sent (see flush)
        self._in = b""                # CPython: received, not yet read
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
            self.flush()
            data = self._recv(n)
        if data:
            self.rx += len(data)
        return data

    def _recv(self, n: int) -> "bytes | None":
        """CPython: read exactly n bytes (fewer only at EOF); None if non-blocking and empty."""
        buf = self._in
        while len(buf) < n:
            try:
                part = self.raw.recv(max(RECV_CHUNK, n - len(buf)))
            except BlockingIOError:
                if not buf:
                    return None
                # Part of a packet has come: wait for the rest (bounded by the timeout).
                self.raw.settimeout(self.timeout_s)
                continue
            if not part:
                break
            buf += part
        self._in = buf[n:]
        return buf[:n]

    def write(self, buf: "bytes | str", n: "int | None" = None) -> int:
        raw = buf.encode() if isinstance(buf, str) else buf   # CPython sockets need bytes
        data = raw if n is None else memoryview(raw)[:n]
        if self._stream:
            return self.raw.write(data)
        self._out.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """CPython: send what was written, as one segment (bounded by the timeout)."""
        if not self._out:
            return
        data = b"".join(self._out)
        self._out = []
        was = self.raw.gettimeout()
        if was == 0:                   # umqtt's non-blocking poll: a send must not half-fail
            self.raw.settimeout(self.timeout_s)
        try:
            self.raw.sendall(data)
        finally:
            if was == 0:
                self.raw.settimeout(0)

    def close(self) -> None:
        try:
            self.flush()               # umqtt's DISCONNECT, written just before
        except OSError:
            pass
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

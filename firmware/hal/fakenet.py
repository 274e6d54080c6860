"""Simulated network peers for tests on an interpreter without sockets (the wasm port).

``FakeNetwork`` is a socket module (wrap it in ``hal.netsock.SocketModule``) whose sockets
talk to two peers in-process:

* on ``mqtt_port``, a minimal MQTT 3.1.1 broker for one pad: it accepts the connect, acks
  subscriptions and QoS 1 publishes, answers pings, records what the pad published
  (``published``: (topic, payload)), acks events like a host (``auto_ack``) and delivers
  what a test queues with ``to_pad``; ``refuse = True`` makes it refuse connections;
* on any other port, an HTTP/1.0 server of the files under ``web_root`` (Range requests
  answered 206), each request costing ``latency_ms`` of the board's simulated clock;
  ``corrupt`` maps a URL path to other bytes to serve instead; ``down = True`` refuses.

Real networks are tested under CPython with real sockets (Mosquitto, the host's HTTP).
"""

import json

MQTT_PORT = 1883


def _remaining(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)


def _mqtt_str(s: bytes) -> bytes:
    return bytes((len(s) >> 8, len(s) & 0xFF)) + s


class FakeNetwork:
    AF_INET = 2
    SOCK_STREAM = 1

    def __init__(self, web_root: str = "", hal: object = None, latency_ms: int = 0,
                 mqtt_port: int = MQTT_PORT) -> None:
        self.web_root = web_root
        self.hal = hal
        self.latency_ms = latency_ms
        self.mqtt_port = mqtt_port
        self.corrupt = {}     # type: dict
        self.down = False
        self.refuse = False
        self.auto_ack = True
        self.published = []   # type: list
        self.pending = []     # type: list  # (topic, payload) for the pad at its next read
        self.requests = []    # type: list  # (path, range) of every HTTP request
        self.connects = 0

    def getaddrinfo(self, host: str, port: int, *args: object) -> list:
        return [(self.AF_INET, self.SOCK_STREAM, 0, "", (host, port))]

    def socket(self, *args: object) -> "FakeSocket":
        return FakeSocket(self)

    def to_pad(self, topic: str, payload: bytes) -> None:
        self.pending.append((topic, payload))


class FakeSocket:
    def __init__(self, net: FakeNetwork) -> None:
        self.net = net
        self.mqtt = False
        self.timeout = None   # type: object
        self.inbuf = bytearray()    # what the pad wrote, not yet understood
        self.out = bytearray()      # what the peer answers, not yet read
        self.closed = False
        self.eof = False

    def settimeout(self, t: object) -> None:
        self.timeout = t

    def connect(self, addr: tuple) -> None:
        net = self.net
        self.mqtt = addr[1] == net.mqtt_port
        if (net.refuse if self.mqtt else net.down):
            raise OSError(111)    # ECONNREFUSED
        if self.mqtt:
            net.connects += 1

    def write(self, data: object, n: object = None) -> int:
        if self.closed:
            raise OSError(32)     # EPIPE
        data = bytes(data) if n is None else bytes(data)[:n]  # type: ignore[call-overload,index]
        self.inbuf += data
        if self.mqtt:
            self._mqtt_packets()
        elif b"\r\n\r\n" in self.inbuf:
            self._http()
        return len(data)

    def read(self, n: int) -> object:
        if self.mqtt and not self.out and self.net.pending:
            topic, payload = self.net.pending.pop(0)
            body = _mqtt_str(topic.encode()) + payload
            self.out += b"\x30" + _remaining(len(body)) + body     # QoS 0 publish
        if not self.out:
            if self.eof or self.closed:
                return b""
            if self.timeout == 0:
                return None
            raise OSError(110)    # ETIMEDOUT
        data = bytes(self.out[:n])
        self.out = self.out[n:]
        return data

    def close(self) -> None:
        self.closed = True

    # -- MQTT ------------------------------------------------------------------------------

    def _mqtt_packets(self) -> None:
        buf = self.inbuf
        while len(buf) >= 2:
            n = 0
            shift = 0
            i = 1
            while True:
                if i >= len(buf):
                    return
                b = buf[i]
                n |= (b & 0x7F) << shift
                shift += 7
                i += 1
                if not b & 0x80:
                    break
            if len(buf) < i + n:
                return
            self._mqtt(buf[0], bytes(buf[i:i + n]))
            buf = buf[i + n:]
        self.inbuf = buf

    def _mqtt(self, head: int, body: bytes) -> None:
        kind = head & 0xF0
        if kind == 0x10:
            self.out += b"\x20\x02\x00\x00"
        elif kind == 0x80:
            self.out += b"\x90\x03" + body[:2] + b"\x01"
        elif kind == 0x30:
            tlen = (body[0] << 8) | body[1]
            topic = body[2:2 + tlen].decode()
            rest = body[2 + tlen:]
            if head & 0x06:       # QoS 1: a packet id, then the payload
                self.out += b"\x40\x02" + rest[:2]
                rest = rest[2:]
            self.net.published.append((topic, rest))
            if self.net.auto_ack and topic.endswith("/event"):
                seq = json.loads(rest)["seq"]
                self.net.to_pad(topic[:-5] + "ack", json.dumps({"v": 1, "ack": [[seq, seq]]}).encode())
        elif kind == 0xC0:
            self.out += b"\xd0\x00"

    # -- HTTP ------------------------------------------------------------------------------

    def _http(self) -> None:
        net = self.net
        head = bytes(self.inbuf).decode().split("\r\n")
        path = head[0].split(" ")[1]
        first = 0
        last = None   # type: object
        for line in head[1:]:
            if line.lower().startswith("range: bytes="):
                a, b = line[13:].split("-")
                first, last = int(a), int(b)
        net.requests.append((path, first, last))
        if net.hal is not None and net.latency_ms:
            net.hal.advance(net.latency_ms)  # type: ignore[attr-defined]
        data = net.corrupt.get(path)
        if data is None:
            try:
                with open(net.web_root + path, "rb") as f:
                    data = f.read()
            except OSError:
                data = None
        self.eof = True
        if data is None:
            self.out += b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"
            return
        if first >= len(data):
            self.out += "HTTP/1.0 416 Range Not Satisfiable\r\nContent-Range: bytes */{}\r\n\r\n".format(
                len(data)).encode()
            return
        end = len(data) - 1 if last is None else min(last, len(data) - 1)  # type: ignore[type-var]
        part = data[first:end + 1]
        head = "HTTP/1.0 206 Partial Content\r\nContent-Range: bytes {}-{}/{}\r\nContent-Length: {}\r\n\r\n"
        self.out += head.format(first, end, len(data), len(part)).encode() + part


"""A small HTTP/1.0 client for the update: one ``Range`` request per call.

One request per main-loop step (a fresh connection each time) keeps every piece bounded by
the socket timeout and makes resuming trivial: the pad asks for the bytes it lacks.
"""


class HttpError(Exception):
    """The host did not serve the piece (the message says what came back)."""


def split_url(url: str) -> tuple:
    """"http://host:port/path" -> (host, port, path)."""
    if not url.startswith("http://"):
        raise HttpError("only http:// URLs are supported: " + url[:60])
    rest = url[7:]
    cut = rest.find("/")
    hostport, path = (rest, "/") if cut < 0 else (rest[:cut], rest[cut:])
    host, _, port = hostport.partition(":")
    return host, int(port) if port else 80, path


def get_range(sockets, url: str, start: int, n: int) -> tuple:
    """(bytes from ``start``, at most ``n``; the resource's total size).  No bytes when
    ``start`` is at the end already (the server answers 416)."""
    host, port, path = split_url(url)
    sock = sockets.socket()
    try:
        sock.connect(sockets.getaddrinfo(host, port)[0][-1])
        sock.write("GET {} HTTP/1.0\r\nHost: {}\r\nRange: bytes={}-{}\r\n\r\n".format(
            path, host, start, start + n - 1).encode())
        parts = []
        while True:
            data = sock.read(1024)
            if not data:
                break
            parts.append(data)
    finally:
        sock.close()
    return _response(b"".join(parts), start)


def _response(raw: bytes, start: int) -> tuple:
    head, sep, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = lines[0].split(" ")
    if not sep or len(status) < 2:
        raise HttpError("not an HTTP answer")
    if status[1] not in ("206", "416"):      # 416: nothing left from start ("bytes */4567")
        raise HttpError("HTTP " + " ".join(status[1:])[:60])
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-range":     # "bytes 0-1023/4567"
            span, _, total = value.strip()[6:].partition("/")
            if status[1] == "416":
                return b"", int(total)
            if int(span.split("-")[0]) != start:
                raise HttpError("the host sent another range: " + value.strip())
            return body, int(total)
    raise HttpError("HTTP {} without Content-Range".format(status[1]))

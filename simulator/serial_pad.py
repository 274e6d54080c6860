"""A pad on the other end of a serial cable, speaking the contract's serial variant.

Used to test and benchmark ``evalpad bridge`` without hardware: it keeps its events like a
pad does (every event until acknowledged, ``seq`` never repeating), sends one wrapped JSON
per line, resends what is unacknowledged, and reads acks and commands back. The cable is a
file descriptor (the master side of a pseudo-terminal) that can be swapped when "pulled".
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from protocol import acks, messages, serialwire, spec
from protocol.errors import ProtocolError

log = logging.getLogger(__name__)

FW = "sim-serial-1"
RESEND_MS = 2_000    # a wired pad resends unacknowledged events this often (no MQTT session to watch)


class SerialPad:
    """Pad ``dev`` writing to ``fd``; ``now_ms`` is its clock. Call ``pump()`` often."""

    def __init__(self, dev: str, fd: int | None, now_ms: Callable[[], int], boot: int = 1,
                 resend_ms: int = RESEND_MS) -> None:
        self.dev = dev
        self.fd = fd
        self.now_ms = now_ms
        self.boot = boot
        self.resend_ms = resend_ms
        self.seq = 0
        self.log: dict[int, dict] = {}          # seq -> event, until acknowledged
        self.acked: set[int] = set()
        self.commands: list[dict] = []
        self._t0 = now_ms()
        self._last_send = 0
        self._rx = bytearray()
        self.write_errors = 0

    # -- the cable ----------------------------------------------------------------------

    def plug(self, fd: int | None) -> None:
        """Attach (or with None, detach) the cable."""
        self.fd = fd
        self._rx.clear()

    # -- what the pad does --------------------------------------------------------------

    def record(self, type: str, **fields: object) -> dict:
        """Log an event (as the pad writes it to flash) and try to send it."""
        self.seq += 1
        ev = messages.event(self.dev, self.seq, self.boot, self.now_ms() - self._t0, self.now_ms(),
                            type, **fields)
        self.log[self.seq] = ev
        self._send(spec.EVENT, ev)
        return ev

    def press(self, rating: str) -> dict:
        return self.record("eval", rating=rating, svc=None, prompted=False)

    def heartbeat(self) -> None:
        self._send(spec.STATE, messages.state(self.dev, "serving", fw=FW, boot=self.boot,
                                              up=self.now_ms() - self._t0, ts=self.now_ms(),
                                              buffered=len(self.log)))

    def resend(self) -> None:
        for seq in sorted(self.log):
            self._send(spec.EVENT, self.log[seq])
        self._last_send = self.now_ms()

    def pump(self) -> None:
        """Read acks/commands; resend the unacknowledged every ``resend_ms``."""
        self._read()
        if self.log and self.now_ms() - self._last_send >= self.resend_ms:
            self.resend()

    # -- wire -----------------------------------------------------------------------------

    def _send(self, kind: str, msg: dict) -> None:
        if self.fd is None:
            return
        try:
            os.write(self.fd, serialwire.wrap(kind, msg))
        except OSError:
            self.write_errors += 1
        if kind == spec.EVENT:
            self._last_send = self.now_ms()

    def _read(self) -> None:
        if self.fd is None:
            return
        try:
            data = os.read(self.fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            return
        self._rx.extend(data)
        while b"\n" in self._rx:
            line, _, rest = bytes(self._rx).partition(b"\n")
            self._rx[:] = rest
            try:
                kind, payload = serialwire.unwrap(line)
                msg = messages.parse(kind, payload)
            except ProtocolError as exc:
                log.warning("%s: bad line from the bridge: %s", self.dev, exc)
                continue
            if kind == spec.ACK:
                for a, b in msg["ack"]:
                    for s in range(a, b + 1):
                        if self.log.pop(s, None) is not None:
                            self.acked.add(s)
            elif kind == spec.CMD:
                self.commands.append(msg)

    @property
    def unacked(self) -> list[int]:
        return acks.unacked(self.log.keys(), [])

"""The bridge loop: serial lines from the pad -> MQTT, acks and commands from MQTT -> serial lines.

The serial port may vanish at any moment (a pulled USB cable: reads fail, the device node
goes away) and come back under the same path; the bridge reopens it every RETRY_S. While
the cable is out the pad is unreachable, which the host must see as the pad being off: the
bridge publishes the pad's will payload and ends the session, and starts a new one when the
port returns. Nothing is lost on the way: the pad keeps every event until acknowledged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import serial

from host.bridge.mqtt_link import MqttLink, MqttTarget
from protocol import messages, serialwire, spec
from protocol.errors import ProtocolError

log = logging.getLogger(__name__)

BAUDRATE = 115_200        # the ESP32's USB-serial default; pty pairs ignore it
READ_TIMEOUT_S = 0.05     # how long one loop turn waits for serial bytes (bounds ack latency)
RETRY_S = 0.5             # how often a missing port is tried again


class SerialBridge:
    """Relays one pad on ``port`` as device ``dev``. ``run()`` until ``stop()``; or ``step()`` by hand."""

    def __init__(self, port: str, dev: str, target: MqttTarget, prefix: str = spec.PREFIX,
                 baudrate: int = BAUDRATE,
                 open_port: Callable[[str, int], serial.SerialBase] | None = None) -> None:
        self.port = port
        self.baudrate = baudrate
        self.link = MqttLink(dev, target, prefix)
        self.dev = self.link.dev
        self._open_port = open_port or _open_serial
        self._ser: serial.SerialBase | None = None
        self._buf = bytearray()
        self._skipping = False         # inside an over-long line: drop bytes up to its newline
        self._next_try = 0.0
        self._stop = threading.Event()
        self.lines_in = 0               # lines relayed pad -> broker
        self.lines_out = 0              # lines written broker -> pad
        self.refused = 0                # lines that were not the serial variant
        self.cable_pulls = 0

    # -- running ------------------------------------------------------------------------

    def run(self) -> None:
        log.info("bridge %s <-> %s started", self.port, self.dev)
        try:
            while not self._stop.is_set():
                self.step()
        finally:
            self._close_port(announce=True)
            log.info("bridge %s stopped: %d lines in, %d out, %d refused, %d cable pulls",
                     self.port, self.lines_in, self.lines_out, self.refused, self.cable_pulls)

    def stop(self) -> None:
        self._stop.set()

    @property
    def port_open(self) -> bool:
        return self._ser is not None

    def step(self) -> None:
        """One turn: (re)open the port, read lines, flush held lines, write acks/commands."""
        if self._ser is None and not self._try_open():
            self._stop.wait(READ_TIMEOUT_S)
            return
        try:
            self._read_lines()
            self.link.flush()
            self._write_inbound()
        except (serial.SerialException, OSError) as exc:
            log.warning("serial port %s lost (%s): cable pulled? retrying every %.1fs",
                        self.port, exc, RETRY_S)
            self.cable_pulls += 1
            self._close_port(announce=True)

    # -- serial side --------------------------------------------------------------------

    def _try_open(self) -> bool:
        now = time.monotonic()
        if now < self._next_try:
            return False
        self._next_try = now + RETRY_S
        try:
            self._ser = self._open_port(self.port, self.baudrate)
        except (serial.SerialException, OSError) as exc:
            log.debug("serial port %s not there yet: %s", self.port, exc)
            return False
        self._buf.clear()
        self._skipping = False
        self.link.open()
        log.info("serial port %s open; relaying as %s", self.port, self.dev)
        return True

    def _close_port(self, announce: bool) -> None:
        ser, self._ser = self._ser, None
        if ser is not None:
            try:
                ser.close()
            except (serial.SerialException, OSError):
                pass
        self.link.close(announce_offline=announce)
        # A fresh session re-reads acks and commands; drop what was meant for the old one
        # (the host acknowledges again when the pad resends).
        while not self.link.inbound.empty():
            self.link.inbound.get_nowait()

    def _read_lines(self) -> None:
        assert self._ser is not None
        data = self._ser.read(max(1, self._ser.in_waiting))
        if not data:
            return
        self._buf.extend(data)
        while True:
            nl = self._buf.find(b"\n")
            if nl < 0:
                if len(self._buf) > serialwire.MAX_LINE:
                    log.warning("%s: serial line longer than %d bytes; dropping it", self.dev,
                                serialwire.MAX_LINE)
                    self.refused += 1
                    self._buf.clear()
                    self._skipping = True
                return
            line = bytes(self._buf[:nl])
            del self._buf[:nl + 1]
            if self._skipping:
                self._skipping = False
                continue
            if line.strip():
                self._relay_line(line)

    def _relay_line(self, line: bytes) -> None:
        try:
            kind, payload = serialwire.unwrap(line)
        except ProtocolError as exc:
            self.refused += 1
            log.warning("%s: refused serial line (%s): %r", self.dev, exc, line[:80])
            return
        if kind not in spec.FROM_PAD:
            self.refused += 1
            log.warning("%s: a pad may send only %s, not %r; line refused", self.dev,
                        "/".join(spec.FROM_PAD), kind)
            return
        # Relayed unchanged even if the message itself is invalid: the host judges it and
        # keeps it as a rejected message, as it would for a wireless pad.
        self.link.send(kind, payload)
        self.lines_in += 1

    def _write_inbound(self) -> None:
        assert self._ser is not None
        while not self.link.inbound.empty():
            kind, payload = self.link.inbound.get_nowait()
            try:
                msg = messages.decode(payload)
            except ProtocolError as exc:
                log.warning("%s: %s from the broker is not a message (%s); not sent to the pad",
                            self.dev, kind, exc)
                continue
            self._ser.write(serialwire.wrap(kind, msg))
            self.lines_out += 1


def _open_serial(port: str, baudrate: int) -> serial.SerialBase:
    return serial.Serial(port, baudrate=baudrate, timeout=READ_TIMEOUT_S, write_timeout=1.0)

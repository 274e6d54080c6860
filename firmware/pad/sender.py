"""Publish the log's unacknowledged events in seq order; forget them when the host acks.

Contract delivery rules 2, 3 and 5: events go out in ``seq`` order and again after every
reconnect until acknowledged by ack ranges; an acked seq the host rejected (named in the
ack's ``rej``: kept on the host, replayable there) is dropped too, and counted in the log's
persisted ``rejected`` (the state reports it).  At most ``PER_STEP`` publishes per loop step
(each waits for its PUBACK, bounded by the socket timeout) keep the buttons responsive, and
at most ``WINDOW`` events may be out without an ack; if the host says nothing for
``RESEND_MS`` the sender starts again from the first unacknowledged event (the host stores
each (dev, seq) once, so a resend is harmless).
"""

from firmware.hal import TYPE_CHECKING
from protocol import acks
from protocol.to_pad import parse_ack

if TYPE_CHECKING:
    from firmware.pad.eventlog import EventLog
    from firmware.pad.net import Net

PER_STEP = 4          # publishes per loop step: ~4 LAN round trips, a few ms
WINDOW = 64           # published-but-unacked events allowed at once
RESEND_MS = 30000     # no ack progress for this long: resend from the first unacked


class Sender:
    def __init__(self, log: "EventLog", net: "Net") -> None:
        self.log = log
        self.net = net
        self.cursor = None      # type: int | None  # next seq to publish; None = start from first unacked
        self.progress_at = 0    # up ms of the last ack (or rewind)
        self.sent = 0
        self.acked = 0
        self.bad_acks = 0
        self.unsendable = 0

    def rewind(self, up: int) -> None:
        """From the first unacknowledged event again (after every reconnect)."""
        self.cursor = None
        self.progress_at = up

    def step(self, up: int) -> int:
        """Publish up to PER_STEP events; returns how many went out."""
        net = self.net
        log = self.log
        if not net.connected:
            return 0
        first = log.next_unacked(0)
        if first is None:
            self.progress_at = up
            return 0
        cursor = self.cursor
        if cursor is None or cursor < first:
            cursor = self.cursor = first
        if cursor > first and up - self.progress_at >= RESEND_MS:
            # Out there, and no ack for too long (the host may have lost them before its
            # commit): send again from the first unacked, even on the same connection.
            cursor = self.cursor = first
            self.progress_at = up
        if cursor - first >= WINDOW:
            return 0
        n = 0
        for msg in log.read(cursor, PER_STEP):
            seq = msg["seq"]
            self.cursor = seq + 1
            if log.is_acked(seq):
                continue
            try:
                ok = net.publish("event", msg, up)
            except ValueError:
                # Cannot happen for what the log accepted (it checks the same); if it did, the
                # event would block every later one: count it and let it go, never silently.
                self.unsendable += 1
                log.ack([[seq, seq]])
                continue
            if not ok:
                self.cursor = None
                break
            n += 1
        self.sent += n
        return n

    def on_ack(self, payload: bytes, up: int) -> int:
        """Apply an ack message; returns how many seqs it named.  Bad acks are counted, not fatal."""
        try:
            msg = parse_ack(payload)
        except ValueError:
            self.bad_acks += 1
            return 0
        ranges = msg["ack"]
        log = self.log
        for r in msg.get("rej", ()):
            # Counted once: an ack that comes again (lost PUBACK, resend) finds it gone.
            if log.is_pending(r[0]):
                log.rejected += 1
        log.ack(ranges)
        self.progress_at = up
        n = acks.count(acks.merge(ranges))
        self.acked += n
        return n

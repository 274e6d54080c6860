"""When an event happened (R10): the pad's clock, or derived from its boot and uptime.

A pad whose clock was never set (``ts`` null) still counts milliseconds since boot
(``up``). Every message of one boot therefore fixes that boot's start in host time up to
the network delay: ``received_ms - up`` is never earlier than the true start, so the
smallest such value is the best estimate; a message of the same boot carrying a real
``ts`` fixes it exactly (``ts - up``). The anchor is kept per ``(device, boot)`` in
``BootAnchor`` so restarts and other host instances share it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from host.ingest.store import insert_ignore
from host.models import BootAnchor

log = logging.getLogger(__name__)

# 2020-01-01T00:00:00Z. No evalpad pad ran before it; a smaller ts is an RTC that was
# reset (e.g. to 2000-01-01, MicroPython's epoch) and then counted from there.
EARLIEST_PLAUSIBLE_MS = 1_577_836_800_000
# A pad clock further ahead of the host than this is wrong (NTP keeps both within
# seconds); its times would move evaluations into another day or month (R2, R10).
MAX_CLOCK_AHEAD_MS = 10 * 60_000


def plausible(ts: int | None, received_ms: int) -> bool:
    return ts is not None and EARLIEST_PLAUSIBLE_MS <= ts <= received_ms + MAX_CLOCK_AHEAD_MS


@dataclass(frozen=True, slots=True)
class EventTime:
    at_ms: int
    derived: bool


def _better(candidate: tuple[int, bool], known: tuple[int, bool]) -> bool:
    """The pad's own clock beats any estimate; among estimates the earliest wins."""
    if known[1]:
        return False
    return candidate[1] or candidate[0] < known[0]


class BootAnchors:
    """Boot anchors, read and written inside the writer's transaction.

    ``_confirmed`` remembers anchors known to be committed (filled by ``committed()``), so a
    busy pad with a set clock costs one write per boot, not one per event.
    """

    def __init__(self) -> None:
        self._confirmed: dict[tuple[str, int], tuple[int, bool]] = {}
        self._pending: dict[tuple[str, int], tuple[int, bool]] = {}

    def committed(self) -> None:
        self._confirmed.update(self._pending)
        self._pending.clear()

    def rolled_back(self) -> None:
        self._pending.clear()

    def known(self, session: Session, key: tuple[str, int]) -> tuple[int, bool] | None:
        if key in self._pending:
            return self._pending[key]
        if key in self._confirmed:
            return self._confirmed[key]
        row = session.get(BootAnchor, key)
        if row is None:
            return None
        # Remember it: the session does not keep the row (its identity map holds it weakly),
        # so after a restart every event of a running boot would cost a SELECT (issue 10 bench:
        # the ingest fell from ~4,000 to ~1,650 events/s).
        self._confirmed[key] = (row.boot_ms, row.from_clock)
        return self._confirmed[key]

    def observe(self, session: Session, dev: str, boot: int, up: int, ts: int | None,
                received_ms: int) -> tuple[int, bool]:
        """Take what one message (event or state) says about its boot; return the best anchor."""
        key = (dev, boot)
        known = self.known(session, key)
        exact = plausible(ts, received_ms)
        candidate = (ts - up, True) if exact else (received_ms - up, False)  # type: ignore[operator]
        if known is not None and not _better(candidate, known):
            return known
        # Another host instance may write the same anchor at the same moment: insert-or-ignore,
        # then improve the row under its lock.
        insert_ignore(session, BootAnchor, [{"device_id": dev, "boot": boot, "boot_ms": candidate[0],
                                             "from_clock": candidate[1]}], ["device_id", "boot"])
        row = session.scalars(select(BootAnchor).where(
            col(BootAnchor.device_id) == dev, col(BootAnchor.boot) == boot).with_for_update()
            .execution_options(populate_existing=True)).one()
        best = (row.boot_ms, row.from_clock)
        if _better(candidate, best):
            row.boot_ms, row.from_clock = best = candidate
            session.add(row)
        self._pending[key] = best
        return best

    def event_time(self, session: Session, dev: str, boot: int, up: int, ts: int | None,
                   received_ms: int) -> EventTime:
        anchor = self.observe(session, dev, boot, up, ts, received_ms)
        if plausible(ts, received_ms):
            return EventTime(ts, False)  # type: ignore[arg-type]
        if ts is not None:
            log.warning("pad %s sent ts=%s, %s; storing the event with a time derived from boot %s "
                        "and uptime instead (R10). Check the pad's clock (NTP or the `time` command).",
                        dev, ts, "before 2020" if ts < EARLIEST_PLAUSIBLE_MS else
                        "more than 10 minutes ahead of the host", boot)
        # Never later than its receipt: an anchor from the pad's clock could say otherwise.
        return EventTime(min(anchor[0] + up, received_ms), True)

"""On, off and unknown, and the display mode, of every pad, as intervals (R5 facts).

Evidence, in the order the writer commits it:
- any message from a pad proves it on at the moment it arrived;
- its retained state (birth, heartbeat, mode change) also says the mode;
- its will (``online:false``, published by the broker when the connection died) says it went
  off; per R5 off starts at the moment it was *last known on*, not when the will arrived;
- a graceful ``power_off`` state says off from that very message;
- silence longer than ``heartbeat_timeout_factor x heartbeat_s`` is off from the last message;
- while no host instance ran, nothing is known: ``unknown`` from when the last instance
  stopped watching until new evidence (R5 d), with a ``HostDowntime`` row.

Every transition is idempotent (on when on, off when off change nothing), so several host
instances may apply the same state message (state is a plain subscription on each).

Kept in memory, written on change (issue 15): once ``load`` has read the status of every pad,
evidence that changes nothing (a heartbeat of a pad already on, in the same mode, with the
same firmware and faults; an event of a pad already on) costs no statement: it moves the
pad's last-seen time and its telemetry (uptime, memory, signal) in memory only. Every
transition is written as before, at once and under the row's lock, with the evidence from
memory merged in. The newest last-seen times and telemetry of all pads are written in one
statement with the host's beat (``flush``, every ``HOST_BEAT_MS``), so after a crash the
last-seen times are as precise as the host's own downtime. The database stays the truth:
memory changes only after a commit (``committed``), a restart rebuilds it from the tables,
and ``load`` again every ``RESYNC_S`` picks up what other instances wrote.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import bindparam, case, func, or_, select
from sqlmodel import Session, col

from host.ingest.store import insert_ignore
from host.models import DeviceStatus, HostBeat, HostDowntime, ModeInterval, PowerInterval

log = logging.getLogger(__name__)

ON, OFF, UNKNOWN = "on", "off", "unknown"
# A host instance writes its pulse this often, so after a crash the start of its downtime is
# known to within this (R5 d wants the period the host was down).
HOST_BEAT_MS = 5_000
# Silence of three beats means the instance was down (one late beat is a busy moment).
HOST_DOWN_AFTER_MS = 3 * HOST_BEAT_MS
# Memory is read again from the database this often, in real seconds: what other instances
# wrote (issue 15). Real time, not the host's clock: it bounds how stale one process's memory
# of another's writes may get, and a simulated clock thousands of times faster would reread
# every status at every batch.
RESYNC_S = 60.0
# Written on change, at once: the fields that say what the pad is, and its count of events
# the host refused (IT watches it, issue 10).
_FIXED = ("fw", "boot", "faults", "last_reset_cause", "rejected")
# Written with the host's beat: the fields every heartbeat moves (state field -> column).
_TELEMETRY = (("up", "up_ms"), ("buffered", "buffered"), ("mem_free", "mem_free"), ("rssi", "rssi"))
_MODES = ModeInterval.__table__  # type: ignore[attr-defined]
_BEATS = HostBeat.__table__  # type: ignore[attr-defined]
_STATUS = DeviceStatus.__table__  # type: ignore[attr-defined]
# The flush of last-seen times and telemetry, built once (it runs with every beat): a newer
# last-seen another instance wrote is kept.
_FLUSH = _STATUS.update().where(_STATUS.c.device_id == bindparam("b_dev")).values(
    last_seen_ms=case((or_(_STATUS.c.last_seen_ms.is_(None), _STATUS.c.last_seen_ms < bindparam("b_seen")),
                       bindparam("b_seen")), else_=_STATUS.c.last_seen_ms),
    **{column: bindparam("b_" + column) for _, column in _TELEMETRY})
# A pad's open mode interval: closed at a moment (never before its start), or only if it began
# by then (a mode change); whether one is open; a new one.
_M = _MODES.c
_CLOSE_MODE = _MODES.update().where(_M.device_id == bindparam("b_dev"), _M.end_ms.is_(None)).values(
    end_ms=case((_M.start_ms > bindparam("b_at"), _M.start_ms), else_=bindparam("b_at")))
_CHANGE_MODE = _MODES.update().where(_M.device_id == bindparam("b_dev"), _M.end_ms.is_(None),
                                     _M.start_ms <= bindparam("b_at")).values(end_ms=bindparam("b_end"))
_OPEN_MODE = select(_M.id).where(_M.device_id == bindparam("b_dev"), _M.end_ms.is_(None))
# A pad's mode in its status row, set only if the row is as this instance remembers it (on since
# the same moment, in the same mode): the UPDATE takes the row's lock and checks memory at once.
_SET_MODE = _STATUS.update().where(
    _STATUS.c.device_id == bindparam("b_dev"), _STATUS.c.power == ON,
    _STATUS.c.since_ms == bindparam("b_since"), func.coalesce(_STATUS.c.mode, "") == bindparam("b_was"),
).values(mode=bindparam("b_mode"))
# The status rows of some pads, locked in a fixed order (no deadlocks), loaded afresh.
_LOCK = select(DeviceStatus).where(col(DeviceStatus.device_id).in_(bindparam("devices", expanding=True))) \
    .order_by(col(DeviceStatus.device_id)).with_for_update().execution_options(populate_existing=True)
_BEAT = _BEATS.update().where(_BEATS.c.instance == bindparam("b_instance")).values(
    beat_ms=case((_BEATS.c.beat_ms < bindparam("b_now"), bindparam("b_now")), else_=_BEATS.c.beat_ms))


@dataclass(frozen=True, slots=True)
class Fact:
    """One piece of evidence about a pad. ``kind``: seen | state | will | power_off.

    ``at_ms`` is when it was true (None: a retained state whose time cannot be known).
    """

    device_id: str
    kind: str
    at_ms: int | None
    received_ms: int
    retained: bool = False
    state: dict | None = None


@dataclass(frozen=True, slots=True)
class Known:
    """What the database says of one pad, with the evidence not yet written.

    ``saved``: the last-seen time and telemetry as written; the rest is written on change.
    """

    power: str
    mode: str | None
    since_ms: int | None
    last_seen_ms: int | None
    heartbeat_s: int
    fixed: tuple
    telemetry: tuple
    saved: tuple[int | None, tuple]

    @property
    def dirty(self) -> bool:
        return (self.last_seen_ms, self.telemetry) != self.saved

    # Built directly, not with dataclasses.replace: these run for every heartbeat (issue 15),
    # and replace costs several times a plain construction.
    def heard(self, last_seen_ms: int | None, telemetry: tuple) -> Known:
        """The same pad, heard at ``last_seen_ms`` with this telemetry (in memory only)."""
        return Known(self.power, self.mode, self.since_ms, last_seen_ms, self.heartbeat_s, self.fixed,
                     telemetry, self.saved)

    def written(self, saved: tuple[int | None, tuple]) -> Known:
        """The same pad, with ``saved`` now in the database (a committed flush)."""
        return Known(self.power, self.mode, self.since_ms, self.last_seen_ms, self.heartbeat_s, self.fixed,
                     self.telemetry, saved)


def _known(st: Any) -> Known:
    """Memory of a status row (an ORM object or a plain row) as it is in the database."""
    telemetry = tuple(getattr(st, column) for _, column in _TELEMETRY)
    return Known(st.power, st.mode, st.since_ms, st.last_seen_ms, st.heartbeat_s,
                 tuple(getattr(st, f) for f in _FIXED), telemetry, (st.last_seen_ms, telemetry))


class Liveness:
    def __init__(self, timeout_factor: float, instance: str) -> None:
        self.timeout_factor = timeout_factor
        self.instance = instance
        # None until ``load``: without it (replay, tools) every fact is written as it comes.
        self.memory: dict[str, Known] | None = None
        self._pending: dict[str, Known] = {}          # rows written by the open transaction
        self._flushing: dict[str, tuple[int | None, tuple]] = {}
        self._heartbeats: dict[str, int] = {}
        # Last-seen evidence taken in memory since the last flush (the writer also flushes when
        # it is idle: a host with nothing else to do writes what it heard within a tick).
        self.unflushed = False

    # -- memory ----------------------------------------------------------------------------

    def load(self, session: Session) -> None:
        """Read every pad's status into memory (at start, after a crash, every ``RESYNC_S``),
        keeping evidence newer than the database's that this instance has not written yet."""
        old = self.memory or {}
        memory: dict[str, Known] = {}
        for row in session.execute(select(DeviceStatus.__table__)):  # type: ignore[attr-defined]
            known = _known(row)
            mine = old.get(row.device_id)
            if mine is not None and mine.dirty:
                seen = max(known.last_seen_ms or 0, mine.last_seen_ms or 0) or None
                known = known.heard(seen, mine.telemetry)
            memory[row.device_id] = known
        self.memory = memory

    def tracked(self, device_id: str) -> bool:
        """The pad has a status row (so it is registered: the row's key is the device's)."""
        return self.memory is not None and device_id in self.memory

    def online(self) -> int | None:
        return None if self.memory is None else sum(1 for k in self.memory.values() if k.power == ON)

    def committed(self) -> None:
        """The transaction that applied the last facts is committed: memory takes its rows."""
        if self.memory is not None:
            for dev, known in self._pending.items():
                self.memory[dev] = known
            for dev, saved in self._flushing.items():
                if dev in self.memory:
                    self.memory[dev] = self.memory[dev].written(saved)
            for dev, heartbeat_s in self._heartbeats.items():
                if dev in self.memory:
                    self.memory[dev] = replace(self.memory[dev], heartbeat_s=heartbeat_s)
        self.rolled_back()

    def rolled_back(self) -> None:
        self._pending.clear()
        self._flushing.clear()
        self._heartbeats.clear()

    def set_heartbeat(self, session: Session, device_id: str, heartbeat_s: int) -> None:
        """The pad confirmed a new heartbeat period: its silence timeout follows (R5)."""
        status = session.get(DeviceStatus, device_id)
        if status is not None and status.heartbeat_s != heartbeat_s:
            log.info("pad %s now beats every %s s", device_id, heartbeat_s)
            status.heartbeat_s = heartbeat_s
            session.add(status)
            self._heartbeats[device_id] = heartbeat_s

    def _view(self, device_id: str) -> Known | None:
        """What this instance knows of a pad: as the open transaction left it, or as committed
        (None without memory: replay and tools write every fact the full way)."""
        if self.memory is None:
            return None
        known = self._pending.get(device_id)
        return known if known is not None else self.memory.get(device_id)

    def _views(self) -> Iterator[tuple[str, Known]]:
        """Every pad memory knows, as ``_view`` sees it."""
        for dev, known in (self.memory or {}).items():
            yield dev, self._pending.get(dev, known)

    def flush(self, session: Session) -> int:
        """Write the newest last-seen times and telemetry of all pads in one statement (with the
        host's beat); a newer last-seen another instance wrote is kept. Returns how many."""
        if not self.memory:
            return 0
        self.unflushed = False
        dirty = {dev: k for dev, k in self._views() if k.dirty}
        if not dirty:
            return 0
        session.connection().execute(_FLUSH, [
            {"b_dev": dev, "b_seen": k.last_seen_ms,
             **{"b_" + c: v for (_, c), v in zip(_TELEMETRY, k.telemetry, strict=True)}}
            for dev, k in sorted(dirty.items())])
        self._flushing.update({dev: (k.last_seen_ms, k.telemetry) for dev, k in dirty.items()})
        return len(dirty)

    def _quiet(self, facts: list[Fact]) -> int:
        """How many of one pad's facts (in order) change nothing but its last-seen time and
        telemetry: those are taken in memory only; the rest are written."""
        known = self._view(facts[0].device_id)
        if known is None:
            return 0
        n = 0
        for fact in facts:
            if fact.kind == "seen":
                quiet = known.power == ON and (not fact.state or "reset_cause" not in fact.state
                                               or fact.state["reset_cause"] == known.fixed[3])
            elif fact.kind == "state":
                msg = fact.state or {}
                quiet = _fixed(known.fixed, msg) == known.fixed and (fact.at_ms is None or (
                    known.power == ON and (not msg.get("mode") or msg["mode"] == known.mode)))
            else:                          # will, power_off: nothing to do only when already off
                quiet = known.power == OFF and (fact.kind == "will" or fact.retained)
            if not quiet:
                break
            n += 1
        return n

    def _remember(self, fact: Fact) -> None:
        """Take a fact that changes nothing in memory (see ``_quiet``)."""
        assert self.memory is not None
        known = self._view(fact.device_id)
        assert known is not None
        seen = known.last_seen_ms
        if fact.kind == "seen" or (fact.kind == "state" and fact.at_ms is not None):
            at = fact.received_ms if fact.kind == "seen" else fact.at_ms
            seen = at if seen is None else max(seen, at)  # type: ignore[type-var]
        telemetry = known.telemetry
        if fact.kind == "state" and fact.state:
            telemetry = tuple(fact.state.get(field, old)
                              for (field, _), old in zip(_TELEMETRY, telemetry, strict=True))
        known = known.heard(seen, telemetry)
        if fact.device_id in self._pending:
            self._pending[fact.device_id] = known
        else:
            self.memory[fact.device_id] = known
        self.unflushed = True

    def _merge(self, st: DeviceStatus) -> None:
        """Before a transition: the evidence memory holds and the database not yet."""
        known = self._view(st.device_id)
        if known is None or not known.dirty:
            return
        if known.last_seen_ms is not None:
            st.last_seen_ms = max(st.last_seen_ms or known.last_seen_ms, known.last_seen_ms)
        for (_, column), value in zip(_TELEMETRY, known.telemetry, strict=True):
            setattr(st, column, value)

    def _written(self, statuses: dict[str, DeviceStatus]) -> None:
        for dev, st in statuses.items():
            self._pending[dev] = _known(st)

    # -- evidence --------------------------------------------------------------------------

    def apply(self, session: Session, facts: list[Fact]) -> None:
        if not facts:
            return
        by_device: dict[str, list[Fact]] = {}
        for fact in _collapse(facts):
            by_device.setdefault(fact.device_id, []).append(fact)
        changing: list[Fact] = []
        for dev in sorted(by_device):       # rows locked in a fixed order (no deadlocks)
            run = by_device[dev]
            done = 0
            while done < len(run):
                quiet = self._quiet(run[done:])
                for fact in run[done:done + quiet]:
                    self._remember(fact)
                done += quiet
                if done == len(run) or not self._mode_only(session, run[done]):
                    break
                done += 1
            changing.extend(run[done:])
        if not changing:
            return
        statuses = self._lock(session, sorted({f.device_id for f in changing}))
        for st in statuses.values():
            self._merge(st)
        for fact in changing:
            st = statuses[fact.device_id]
            if fact.kind == "seen":
                self._mark_on(session, st, fact.received_ms, "event")
                if fact.state and "reset_cause" in fact.state:
                    st.last_reset_cause = fact.state["reset_cause"]
            elif fact.kind == "state":
                self._state(session, st, fact)
            elif fact.kind == "power_off":
                if not fact.retained:          # the pad itself said so, live: on until now
                    self._mark_on(session, st, fact.received_ms, "state")
                self._mark_off(session, st, self._last_known_on(st, fact), "power_off")
            elif fact.kind == "will":
                self._mark_off(session, st, self._last_known_on(st, fact), "will")
            session.add(st)
        self._written(statuses)

    def _mode_only(self, session: Session, fact: Fact) -> bool:
        """A state message that changes only the mode of a pad that is on (a citizen prompted,
        a pause): the mode is written in plain SQL, the rest taken in memory like a heartbeat,
        with no status row loaded or flushed through the ORM (issue 15: most of what a busy
        hall writes). False, with nothing written, if anything else changes or the row is not
        as memory says (another instance wrote it): the fact is then written the full way."""
        known = self._view(fact.device_id)
        msg = fact.state or {}
        mode = msg.get("mode")
        if (known is None or fact.kind != "state" or fact.at_ms is None or known.power != ON
                or known.since_ms is None or not mode or mode == known.mode
                or _fixed(known.fixed, msg) != known.fixed):
            return False
        conn = session.connection()
        dev, was = fact.device_id, known.mode or ""
        if not conn.execute(_SET_MODE, {"b_dev": dev, "b_since": known.since_ms, "b_was": was,
                                        "b_mode": mode}).rowcount:
            return False
        start = max(fact.at_ms, known.since_ms)
        closed = conn.execute(_CHANGE_MODE, {"b_dev": dev, "b_at": fact.at_ms, "b_end": start}).rowcount
        if not closed and conn.execute(_OPEN_MODE, {"b_dev": dev}).first() is not None:
            # An older state than the mode already known (as ``_mode``): the row keeps its mode.
            conn.execute(_SET_MODE, {"b_dev": dev, "b_since": known.since_ms, "b_was": mode,
                                     "b_mode": known.mode})
            mode = known.mode
        else:
            conn.execute(_MODES.insert(), {"device_id": dev, "mode": mode, "start_ms": start})
        self._pending[dev] = replace(known, mode=mode)
        self._remember(fact)               # its last-seen time and telemetry, as a heartbeat's
        return True

    def _lock(self, session: Session, devices: list[str]) -> dict[str, DeviceStatus]:
        """The status rows of ``devices``, created if missing, locked in a fixed order (no deadlocks).

        Pads memory knows have their row: no insert is tried for them unless it is gone."""
        if self.memory is not None and all(d in self.memory for d in devices):
            found = {st.device_id: st for st in session.scalars(_LOCK, {"devices": devices})}
            if len(found) == len(devices):
                return found
        insert_ignore(session, DeviceStatus, [{"device_id": d, "power": UNKNOWN, "online": False,
                                               "faults": "", "heartbeat_s": _default_heartbeat()}
                                              for d in devices], ["device_id"])
        return {st.device_id: st for st in session.scalars(_LOCK, {"devices": devices})}

    @staticmethod
    def _last_known_on(st: DeviceStatus, fact: Fact) -> int:
        return st.last_seen_ms if st.last_seen_ms is not None else fact.received_ms

    def _state(self, session: Session, st: DeviceStatus, fact: Fact) -> None:
        msg = fact.state or {}
        for field, attr in (("fw", "fw"), ("boot", "boot"), ("up", "up_ms"), ("buffered", "buffered"),
                            ("rejected", "rejected"), ("mem_free", "mem_free"), ("rssi", "rssi")):
            if field in msg:
                setattr(st, attr, msg[field])
        if "faults" in msg:
            st.faults = ",".join(msg["faults"])[:256]
        if fact.at_ms is None:
            # A retained state of unknown age: it proves nothing about now. The pad's next
            # heartbeat (every heartbeat_s) will, if it is on.
            return
        self._mark_on(session, st, fact.at_ms, "birth" if fact.retained else "state")
        if st.power == ON and msg.get("mode"):
            self._mode(session, st, fact.at_ms, msg["mode"])

    # -- transitions -----------------------------------------------------------------------

    def _mark_on(self, session: Session, st: DeviceStatus, at: int, cause: str) -> None:
        st.last_seen_ms = at if st.last_seen_ms is None else max(st.last_seen_ms, at)
        if st.power == ON:
            return
        if st.since_ms is not None and at < st.since_ms:
            return                     # evidence older than what we know: no new interval
        self._set_power(session, st, ON, at, cause)

    def _mark_off(self, session: Session, st: DeviceStatus, at: int, cause: str) -> None:
        if st.power == OFF:
            return
        if st.since_ms is not None:
            at = max(at, st.since_ms)
        self._set_power(session, st, OFF, at, cause)
        log.info("pad %s off from %s (%s)", st.device_id, at, cause)

    def _set_power(self, session: Session, st: DeviceStatus, state: str, at: int, cause: str) -> None:
        current = session.scalars(select(PowerInterval).where(
            col(PowerInterval.device_id) == st.device_id, col(PowerInterval.end_ms).is_(None)).order_by(
            col(PowerInterval.start_ms).desc())).first()
        if current is not None and current.start_ms >= at and current.state != ON:
            current.state, current.cause = state, cause
            session.add(current)       # nothing was known in between: retag, no empty interval
            at = current.start_ms
        else:
            if current is not None:
                # An "on" that lasted one instant stays: it is the evidence off starts from.
                at = max(at, current.start_ms)
                current.end_ms = at
                session.add(current)
            session.add(PowerInterval(device_id=st.device_id, state=state, start_ms=at, cause=cause))
        st.power, st.online, st.since_ms = state, state == ON, at
        if state != ON:
            self._close_mode(session, st, at)
            st.mode = None

    # The open mode interval is the one whose mode the status row holds (``st.mode``; None: no
    # interval open), so a mode change costs one UPDATE and one INSERT, no read, in plain SQL
    # (no ORM object, nothing for the session to flush; issue 15).

    def _close_mode(self, session: Session, st: DeviceStatus, at: int) -> None:
        session.connection().execute(_CLOSE_MODE, {"b_dev": st.device_id, "b_at": at})

    def _mode(self, session: Session, st: DeviceStatus, at: int, mode: str) -> None:
        if st.mode == mode:
            return
        conn = session.connection()
        start = max(at, st.since_ms or at)
        closed = conn.execute(_CHANGE_MODE, {"b_dev": st.device_id, "b_at": at, "b_end": start}).rowcount
        if not closed and conn.execute(_OPEN_MODE, {"b_dev": st.device_id}).first() is not None:
            return                     # an older state than the mode we already know
        conn.execute(_MODES.insert(), {"device_id": st.device_id, "mode": mode, "start_ms": start})
        st.mode = mode

    # -- silence and host downtime ---------------------------------------------------------

    def timeout_ms(self, st: DeviceStatus | Known) -> int:
        return int(self.timeout_factor * st.heartbeat_s * 1000)

    def sweep(self, session: Session, now_ms: int) -> int:
        """Declare off every pad silent for longer than its timeout; returns how many.

        With memory, the silent are found there and no statement runs while none is."""
        if self.memory is not None:
            candidates = [dev for dev, k in self._views()
                          if k.since_ms is not None and self._silent(k, now_ms)]
        else:
            candidates = [st.device_id for st in session.scalars(select(DeviceStatus).where(
                col(DeviceStatus.power).in_([ON, UNKNOWN]), col(DeviceStatus.since_ms).is_not(None)))
                if self._silent(st, now_ms)]
        if not candidates:
            return 0
        n = 0
        statuses = self._lock(session, sorted(candidates))
        for st in statuses.values():
            self._merge(st)
            if not self._silent(st, now_ms):
                continue               # another instance or a new message got there first
            # On: off from the last message (R5). Unknown after a host restart: no message
            # since, so off from when the host was back and could have seen it.
            at = st.last_seen_ms if st.power == ON and st.last_seen_ms is not None else st.since_ms
            self._mark_off(session, st, at, "timeout")  # type: ignore[arg-type]
            session.add(st)
            n += 1
        self._written(statuses)
        return n

    def _silent(self, st: DeviceStatus | Known, now_ms: int) -> bool:
        if st.power == ON:
            ref = st.last_seen_ms
        elif st.power == UNKNOWN:
            ref = st.since_ms
        else:
            return False
        return ref is not None and now_ms - ref > self.timeout_ms(st)

    def host_started(self, session: Session, now_ms: int) -> HostDowntime | None:
        """Record this instance's downtime and, if no instance was watching, mark pads unknown."""
        beats = {b.instance: b for b in session.scalars(select(HostBeat))}
        mine = beats.get(self.instance)
        downtime = None
        if mine is not None and now_ms - mine.beat_ms > HOST_DOWN_AFTER_MS:
            downtime = HostDowntime(instance=self.instance, start_ms=mine.beat_ms, end_ms=now_ms)
            session.add(downtime)
            log.warning("host instance %s was down from %s to %s (R5 d)", self.instance,
                        mine.beat_ms, now_ms)
        others_watching = any(b.instance != self.instance and now_ms - b.beat_ms <= HOST_DOWN_AFTER_MS
                              for b in beats.values())
        last_watch = max((b.beat_ms for b in beats.values()), default=None)
        if not others_watching and last_watch is not None and now_ms - last_watch > HOST_DOWN_AFTER_MS:
            self._unknown_since(session, last_watch, now_ms)
        insert_ignore(session, HostBeat, [{"instance": self.instance, "started_ms": now_ms,
                                           "beat_ms": now_ms}], ["instance"])
        row = session.get(HostBeat, self.instance)
        assert row is not None
        row.started_ms = row.beat_ms = now_ms
        session.add(row)
        return downtime

    def _unknown_since(self, session: Session, gap_start: int, now_ms: int) -> None:
        """No host watched from ``gap_start``: pads that were on are unknown until new evidence."""
        devices = [st.device_id for st in session.scalars(select(DeviceStatus).where(
            col(DeviceStatus.power).in_([ON, UNKNOWN])))]
        for st in self._lock(session, sorted(devices)).values():
            if st.power == ON:
                self._set_power(session, st, UNKNOWN, max(gap_start, st.since_ms or gap_start),
                                "host_down")
            # Evidence from before now (a retained heartbeat of the gap) is not taken as on:
            # only what the restarted host sees counts (R5 d).
            st.since_ms = now_ms
            session.add(st)

    def beat(self, session: Session, now_ms: int) -> None:
        """This instance's pulse (plain SQL: with a batch of every commit on a fast clock)."""
        conn = session.connection()
        if not conn.execute(_BEAT, {"b_instance": self.instance, "b_now": now_ms}).rowcount:
            conn.execute(_BEATS.insert().values(instance=self.instance, started_ms=now_ms, beat_ms=now_ms))


def _fixed(fixed: tuple, msg: dict) -> tuple:
    """The fields written on change, after a state message (in ``_FIXED`` order)."""
    fw, boot, faults, reset_cause, rejected = fixed
    return (msg.get("fw", fw), msg.get("boot", boot),
            ",".join(msg["faults"])[:256] if "faults" in msg else faults, reset_cause,
            msg.get("rejected", rejected))


def _collapse(facts: list[Fact]) -> list[Fact]:
    """Each device's facts in order, with every run of plain "seen" facts cut to its first (it
    may turn the pad on) and its last (the newest last-seen): the middle changes nothing. A
    busy hall sends hundreds of events per batch; this keeps liveness to a few updates."""
    by_device: dict[str, list[Fact]] = {}
    for fact in facts:                       # order only matters within one device
        run = by_device.setdefault(fact.device_id, [])
        plain = fact.kind == "seen" and not fact.state
        if (plain and len(run) >= 2 and _plain(run[-1]) and _plain(run[-2])
                and run[-1].received_ms <= fact.received_ms):
            run[-1] = fact
        else:
            run.append(fact)
    return [f for run in by_device.values() for f in run]


def _plain(fact: Fact) -> bool:
    return fact.kind == "seen" and not fact.state


def _default_heartbeat() -> int:
    from protocol import spec

    return int(spec.DEFAULT_CONFIG["heartbeat_s"])

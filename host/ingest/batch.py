"""One batch of received messages -> rows in one transaction (the writer commits it).

For each message: topic and payload are checked against the contract
(``protocol.messages.parse``); refused ones are kept in ``RejectedMessage`` with their raw
bytes and reason; events of registered pads on a window are stored with ``(device_id, seq)``
unique (a repeat with the same content changes nothing but is acknowledged again; one with
other content is a conflict, kept beside the stored event and raised to IT); everything a
pad said becomes liveness evidence. Every event recorded (stored, held back, rejected) whose
seq can be read is acknowledged, rejected ones named in ``rej`` (protocol.md Delivery 5-6).
Nothing is published here: acks go out only after the commit.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from host.commands import record_result
from host.faults.log import open_fault
from host.ingest import store
from host.ingest.inbox import Received
from host.ingest.liveness import Fact, Liveness
from host.ingest.timing import BootAnchors, plausible
from host.models import Command, Event, EventConflict
from protocol import messages, spec, topics
from protocol.errors import CONFLICT, ProtocolError

log = logging.getLogger(__name__)

RecordResult = Callable[[Session, Event], Any]
STORED, DUPLICATE = "stored", "duplicate"
SEQ_CONFLICT = "seq_conflict"      # the IT fault a conflict raises (host.faults)


@dataclass
class Outcome:
    """What a batch did.

    ``acks``: per device the seqs recorded now or before, all acknowledged; ``rej``: those of
    them rejected, with the code. ``fate``: per item index, ``stored``, ``duplicate``,
    ``conflict``, or the code it was refused or held back with.
    """

    acks: dict[str, set[int]] = field(default_factory=dict)
    rej: dict[str, dict[int, str]] = field(default_factory=dict)
    stored: int = 0
    duplicates: int = 0
    conflicts: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    fate: dict[int, str] = field(default_factory=dict)
    keys: dict[int, tuple[str, int]] = field(default_factory=dict)   # item index -> acked (dev, seq)

    @property
    def placed(self) -> list[int]:
        """Indexes of items whose event is in the event table now (or kept as a conflict)."""
        return [i for i, f in self.fate.items() if f in (STORED, DUPLICATE, CONFLICT)]

    def ack(self, i: int, dev: str, seq: int, rej: str | None = None) -> None:
        self.keys[i] = (dev, seq)
        self.acks.setdefault(dev, set()).add(seq)
        if rej is not None:
            self.rej.setdefault(dev, {})[seq] = rej

    def only(self, indexes: set[int]) -> Outcome:
        """The acks of these items alone (e.g. what a replay placed)."""
        part = Outcome()
        for i in sorted(indexes & set(self.keys)):
            dev, seq = self.keys[i]
            part.ack(i, dev, seq, self.rej.get(dev, {}).get(seq) if self.fate.get(i) == CONFLICT else None)
        return part


@dataclass
class _Pending:
    """The events of a batch to insert: the first item of each key, and every item of it."""

    rows: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    items: dict[tuple[str, int], list[tuple[int, Received, dict]]] = field(default_factory=dict)

    def add(self, key: tuple[str, int], i: int, item: Received, msg: dict, row: dict[str, Any]) -> None:
        self.rows.setdefault(key, row)
        self.items.setdefault(key, []).append((i, item, msg))


class BatchProcessor:
    def __init__(self, liveness: Liveness, anchors: BootAnchors | None = None, prefix: str = spec.PREFIX,
                 record_result: RecordResult | None = record_result) -> None:
        """``record_result``: where a pad's cmd_result lands (the command log, host.commands)."""
        self.liveness = liveness
        self.anchors = anchors or BootAnchors()
        self.prefix = prefix
        self.record_result = record_result

    def process(self, session: Session, items: list[Received], replay: bool = False) -> Outcome:
        """Validate and store ``items``. ``replay``: re-ingest kept messages (no new rows for
        what is refused again, no liveness: that evidence was taken when they first arrived)."""
        out = Outcome()
        kept: list[dict[str, Any]] = []

        def refuse(i: int, item: Received, code: str, reason: str, dev: str | None, seq: int | None = None,
                   state: bool = False) -> None:
            out.fate[i] = code
            out.rejected[code] += 1
            if dev is not None and seq is not None:
                out.ack(i, dev, seq, None if code in store.REPLAYABLE else code)
            if not replay:
                kept.append(store.rejection(item.topic, item.payload, item.received_ms, code, reason, dev,
                                            seq, state))

        parsed: list[tuple[int, Received, str, str, dict]] = []
        for i, item in enumerate(items):
            try:
                dev, kind = topics.parse_topic(item.topic, self.prefix)
            except ProtocolError as exc:
                refuse(i, item, exc.code, exc.message, None)
                continue
            if kind not in spec.FROM_PAD:
                refuse(i, item, store.UNEXPECTED_KIND,
                       f"the host takes only event and state topics, not {kind}", dev)
                continue
            try:
                msg = messages.parse(kind, item.payload, dev)
            except ProtocolError as exc:
                seq = messages.readable_seq(item.payload) if kind == spec.EVENT else None
                refuse(i, item, exc.code, exc.message + _HOW_TO_FIX.get(exc.code, ""), dev, seq)  # type: ignore[arg-type]
                continue
            parsed.append((i, item, dev, kind, msg))

        devices = {dev for _, _, dev, _, _ in parsed}
        # A pad with a status row is registered (its key is the device's): a heartbeat of a
        # known pad costs no look-up, and only events need the assignment history (issue 15).
        tracked = {dev for dev in devices if self.liveness.tracked(dev)}
        known = tracked | store.known_devices(session, devices - tracked)
        history = store.assignments(session, {dev for _, _, dev, kind, _ in parsed
                                              if kind == spec.EVENT and dev in known})
        pending = _Pending()
        facts: list[Fact] = []
        for i, item, dev, kind, msg in parsed:
            if dev not in known:
                refuse(i, item, store.UNKNOWN_DEVICE,
                       f"pad {dev} is not registered. Register it "
                       f"(`evalpad device add {dev} --window <no>`); "
                       "its events are kept here and stored then (replay); the pad has its ack.",
                       dev, msg.get("seq"), state=kind == spec.STATE)
                continue
            if kind == spec.STATE:
                facts.append(self._state_fact(session, item, dev, msg))
                continue
            when = self.anchors.event_time(session, dev, msg["boot"], msg["up"], msg["ts"], item.received_ms)
            if not replay:
                boot = {"reset_cause": msg["reset_cause"]} if msg["type"] == "boot" else None
                facts.append(Fact(dev, "seen", item.received_ms, item.received_ms, state=boot))
            window = store.window_at(history.get(dev, []), when.at_ms)
            if window is None:
                refuse(i, item, store.UNASSIGNED,
                       f"pad {dev} was on no window at {when.at_ms} (event time"
                       f"{', derived' if when.derived else ''}). Assign it (`evalpad device assign`) "
                       "from that time; the event is kept here and stored then (R10).", dev, msg["seq"])
                continue
            pending.add((dev, msg["seq"]), i, item, msg,
                        _event_row(msg, dev, when.at_ms, when.derived, item.received_ms, window))

        new = store.insert_events(session, list(pending.rows.values()))
        out.stored = len(new)
        self._settle(session, pending, new, out)
        store.keep_rejected(session, kept)
        self.liveness.apply(session, facts)
        self._record_results(session, [pending.rows[k] for k in sorted(new)
                                       if pending.rows[k]["type"] == "cmd_result"])
        return out

    def _settle(self, session: Session, pending: _Pending, new: set[tuple[str, int]], out: Outcome) -> None:
        """Each item of each key: the event stored now, the same content again (a duplicate),
        or other content (a conflict, Delivery 6). Content is the parsed message, not bytes."""
        stored = store.stored_bodies(session, [k for k in pending.rows if k not in new])
        conflicts: list[dict[str, Any]] = []
        windows: dict[tuple[str, int], int] = {}
        for key, entries in pending.items.items():
            reference = pending.rows[key]["body"] if key in new else stored[key]
            same = store.canonical(reference) if len(entries) > 1 or key not in new else ""
            for n, (i, item, msg) in enumerate(entries):
                if key in new and n == 0:          # the event stored now: the reference itself
                    fate = STORED
                    out.ack(i, key[0], key[1])
                elif store.canonical(msg) == same:
                    fate = DUPLICATE
                    out.ack(i, key[0], key[1])
                else:
                    fate = CONFLICT
                    out.ack(i, key[0], key[1], CONFLICT)
                    conflicts.append({"device_id": key[0], "seq": key[1], "received_ms": item.received_ms,
                                      "topic": item.topic, "stored": reference, "body": msg,
                                      "raw": bytes(item.payload)})
                    windows[key] = pending.rows[key]["window_id"]
                out.fate[i] = fate
        out.duplicates = sum(1 for f in out.fate.values() if f == DUPLICATE)
        out.conflicts = len(conflicts)
        by_device: dict[str, list[tuple[int, int]]] = {}
        for conflict_id, dev, seq in store.keep_conflicts(session, conflicts):
            by_device.setdefault(dev, []).append((conflict_id, seq))
        when = max((c["received_ms"] for c in conflicts), default=0)
        for dev, kept in sorted(by_device.items()):
            self._raise_conflicts(session, dev, sorted(kept), windows, when)

    @staticmethod
    def _raise_conflicts(session: Session, dev: str, kept: list[tuple[int, int]],
                         windows: dict[tuple[str, int], int], at_ms: int) -> None:
        """One pad fault for IT per pad and batch, naming the seqs and the conflict records."""
        log.warning("pad %s sent seqs %s again with other content; kept as conflicts %s beside the stored "
                    "events", dev, [s for _, s in kept], [i for i, _ in kept])
        seqs = "、".join(str(s) for _, s in kept[:10]) + ("等" if len(kept) > 10 else "")
        ids = "、".join(str(i) for i, _ in kept[:10]) + ("等" if len(kept) > 10 else "")
        fault, _ = open_fault(
            session, source="host", code=SEQ_CONFLICT, at_ms=at_ms, now_ms=at_ms, device_id=dev,
            window_id=windows[(dev, kept[0][1])],
            detail=f"序号 {seqs} 重复但内容不同：已存事件保持不变，另一内容存为冲突记录 {ids}。"
                   "请检查评价器的事件日志或固件。")
        session.execute(update(EventConflict).where(col(EventConflict.id).in_([i for i, _ in kept]))
                        .values(fault_id=fault.id))

    def _state_fact(self, session: Session, item: Received, dev: str, msg: dict) -> Fact:
        at: int | None = item.received_ms
        if item.retained:
            # Delivered from the broker's store on subscription: it is as old as the pad's
            # clock says, or as its boot anchor and uptime say; else its age is unknown.
            at = None
            if plausible(msg.get("ts"), item.received_ms):
                at = min(msg["ts"], item.received_ms)
            elif "boot" in msg and "up" in msg:
                anchor = self.anchors.known(session, (dev, msg["boot"]))
                at = None if anchor is None else min(anchor[0] + msg["up"], item.received_ms)
        elif "boot" in msg and "up" in msg:
            self.anchors.observe(session, dev, msg["boot"], msg["up"], msg.get("ts"), item.received_ms)
        kind = "state" if msg["online"] else "power_off" if msg.get("reason") == "power_off" else "will"
        return Fact(dev, kind, at, item.received_ms, retained=item.retained, state=msg)

    def _took_config(self, session: Session, row: dict[str, Any]) -> None:
        """A pad confirmed a ``config`` command: its new heartbeat period sets its silence timeout (R5)."""
        command = session.get(Command, row["body"].get("id"))
        if command is None or command.device_id != row["device_id"] or command.type != "config":
            return
        heartbeat = command.body.get("heartbeat_s")
        if isinstance(heartbeat, int):
            self.liveness.set_heartbeat(session, row["device_id"], heartbeat)

    def _record_results(self, session: Session, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            if row["body"].get("ok"):
                self._took_config(session, row)
        if not rows or self.record_result is None:
            return
        for row in rows:
            # A savepoint: a failure in the command log must not cost the batch its events.
            try:
                with session.begin_nested():
                    self.record_result(session, Event(**row))
            except Exception:
                log.exception("recording cmd_result %s of pad %s failed; the event is stored",
                              row["body"].get("id"), row["device_id"])


def _event_row(msg: dict, dev: str, at_ms: int, derived: bool, received_ms: int,
               window: int) -> dict[str, Any]:
    # A type this host does not know (Delivery 6) is kept whole in body; its fields mean
    # nothing here, so none of them lands in the typed columns the rules read.
    # An eval's level, case (办件编号) and item (事项) (issue 16) land in their columns; a
    # ``reason`` event (which eval it explains: ``of``) lives in its body.
    known = msg["type"] in spec.EVENT_TYPES
    evaluation = known and msg["type"] == "eval"
    return {"device_id": dev, "seq": msg["seq"], "boot": msg["boot"], "up_ms": msg["up"],
            "type": msg["type"], "pad_ts_ms": msg["ts"], "at_ms": at_ms, "time_derived": derived,
            "received_ms": received_ms, "window_id": window, "rating": msg.get("rating") if known else None,
            "svc": msg.get("svc") if known else None,
            "level": msg.get("level") if evaluation else None,
            "case_no": msg.get("case") if evaluation else None,
            "item": msg.get("item") if evaluation else None, "body": msg}


# What to do about each refusal, for the person reading the rejected list.
_HOW_TO_FIX = {
    "too_large": " The pad must split or shorten the message (protocol.md: Transport).",
    "bad_version": " Update the pad's firmware or run a host that speaks its version.",
    "device_mismatch": " The pad is misconfigured or publishing for another pad: check its device id.",
}

"""One batch of received messages -> rows in one transaction (the writer commits it).

For each message: topic and payload are checked against the contract
(``protocol.messages.parse``); refused ones are kept in ``RejectedMessage`` with their
reason; events of registered pads on a window are stored with ``(device_id, seq)`` unique
(a repeat changes nothing but is acknowledged again); everything a pad said becomes
liveness evidence. Nothing is published here: acks go out only after the commit.
"""

from __future__ import annotations

import importlib
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from host.ingest import store
from host.ingest.inbox import Received
from host.ingest.liveness import Fact, Liveness
from host.ingest.timing import BootAnchors, plausible
from host.models import Command, DeviceStatus, Event
from protocol import messages, spec, topics
from protocol.errors import ProtocolError

log = logging.getLogger(__name__)

RecordResult = Callable[[Session, Event], Any]


def find_record_result() -> RecordResult | None:
    """``host.commands.record_result`` (the API's command log), if that module exists."""
    try:
        module = importlib.import_module("host.commands")
    except ModuleNotFoundError as exc:
        if exc.name != "host.commands":
            raise                       # a broken import inside it must not pass silently
        log.warning("host.commands is missing: cmd_result events are stored but not matched to commands")
        return None
    fn = getattr(module, "record_result", None)
    if fn is None:
        log.warning("host.commands has no record_result: cmd_result events are not matched to commands")
    return fn


@dataclass
class Outcome:
    """What a batch did. ``acks``: per device the seqs stored now or before (all acknowledged)."""

    acks: dict[str, set[int]] = field(default_factory=dict)
    stored: int = 0
    duplicates: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    placed: list[int] = field(default_factory=list)   # indexes of items stored or already stored


class BatchProcessor:
    def __init__(self, liveness: Liveness, anchors: BootAnchors | None = None, prefix: str = spec.PREFIX,
                 record_result: RecordResult | None = None) -> None:
        self.liveness = liveness
        self.anchors = anchors or BootAnchors()
        self.prefix = prefix
        self.record_result = record_result

    def process(self, session: Session, items: list[Received], replay: bool = False) -> Outcome:
        """Validate and store ``items``. ``replay``: re-ingest held-back messages (no new rejects,
        no liveness: that evidence was taken when they first arrived)."""
        out = Outcome()

        def refuse(item: Received, code: str, reason: str, dev: str | None, state: bool = False) -> None:
            out.rejected[code] += 1
            if not replay:
                store.reject(session, item.topic, item.payload, item.received_ms, code, reason, dev, state)

        parsed: list[tuple[int, Received, str, str, dict]] = []
        for i, item in enumerate(items):
            try:
                dev, kind = topics.parse_topic(item.topic, self.prefix)
            except ProtocolError as exc:
                refuse(item, exc.code, exc.message, None)
                continue
            if kind not in spec.FROM_PAD:
                refuse(item, store.UNEXPECTED_KIND, f"the host takes only event and state topics, not {kind}",
                       dev)
                continue
            try:
                msg = messages.parse(kind, item.payload, dev)
            except ProtocolError as exc:
                refuse(item, exc.code, exc.message + _HOW_TO_FIX.get(exc.code, ""), dev)
                continue
            parsed.append((i, item, dev, kind, msg))

        devices = {dev for _, _, dev, _, _ in parsed}
        known = store.known_devices(session, devices)
        history = store.assignments(session, known)
        rows: dict[tuple[str, int], dict[str, Any]] = {}
        row_items: dict[tuple[str, int], list[int]] = {}
        facts: list[Fact] = []
        for i, item, dev, kind, msg in parsed:
            if dev not in known:
                refuse(item, store.UNKNOWN_DEVICE,
                       f"pad {dev} is not registered. Register it "
                       f"(`evalpad device add {dev} --window <no>`); "
                       "its events are kept here and stored then (replay), and the pad keeps them "
                       "until acknowledged.", dev, state=kind == spec.STATE)
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
                refuse(item, store.UNASSIGNED,
                       f"pad {dev} was on no window at {when.at_ms} (event time"
                       f"{', derived' if when.derived else ''}). Assign it (`evalpad device assign`) "
                       "from that time; the event is kept here and stored then (R10).", dev)
                continue
            key = (dev, msg["seq"])
            row_items.setdefault(key, []).append(i)
            rows.setdefault(key, _event_row(msg, dev, when.at_ms, when.derived, item.received_ms, window))

        new = store.insert_events(session, list(rows.values()))
        for key, idxs in row_items.items():
            out.acks.setdefault(key[0], set()).add(key[1])
            out.placed.extend(idxs)
        out.stored = len(new)
        out.duplicates = sum(len(v) for v in row_items.values()) - len(new)
        self.liveness.apply(session, facts)
        self._record_results(session, [rows[k] for k in sorted(new) if rows[k]["type"] == "cmd_result"])
        return out

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

    def _record_results(self, session: Session, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            if row["body"].get("ok"):
                _took_config(session, row)
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


def _took_config(session: Session, row: dict[str, Any]) -> None:
    """A pad confirmed a ``config`` command: its new heartbeat period sets its silence timeout (R5)."""
    command = session.get(Command, row["body"].get("id"))
    if command is None or command.device_id != row["device_id"] or command.type != "config":
        return
    heartbeat = command.body.get("heartbeat_s")
    status = session.get(DeviceStatus, row["device_id"])
    if isinstance(heartbeat, int) and status is not None and status.heartbeat_s != heartbeat:
        log.info("pad %s now beats every %s s (config %s)", row["device_id"], heartbeat, command.id)
        status.heartbeat_s = heartbeat
        session.add(status)


def _event_row(msg: dict, dev: str, at_ms: int, derived: bool, received_ms: int,
               window: int) -> dict[str, Any]:
    return {"device_id": dev, "seq": msg["seq"], "boot": msg["boot"], "up_ms": msg["up"],
            "type": msg["type"], "pad_ts_ms": msg["ts"], "at_ms": at_ms, "time_derived": derived,
            "received_ms": received_ms, "window_id": window, "rating": msg.get("rating"),
            "svc": msg.get("svc"), "body": msg}


# What to do about each refusal, for the person reading the rejected list.
_HOW_TO_FIX = {
    "too_large": " The pad must split or shorten the message (protocol.md: Transport).",
    "bad_version": " Update the pad's firmware or run a host that speaks its version.",
    "device_mismatch": " The pad is misconfigured or publishing for another pad: check its device id.",
}

"""Commands to a pad (prompt, pause/resume, display, config, time, selftest, reboot).

A command is validated by the contract (protocol.messages.command), stored, committed,
and only then published on ``<prefix>/<dev>/cmd`` (QoS 1), so a pad's answer can never
arrive for a command the host does not know. The pad answers with a ``cmd_result`` event;
the ingest calls ``record_result`` for it in its own batch.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from sqlmodel import Session, col, select

from host import audit, fleet
from host.clock import Clock
from host.errors import Conflict, Invalid, NotFound, Unavailable
from host.models.commands import Command
from host.models.events import Event
from protocol import messages, spec, topics
from protocol.errors import ProtocolError

log = logging.getLogger(__name__)


class Publish(Protocol):
    """The ingest's MQTT publish, injected (so the API never opens its own connection)."""

    def __call__(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None: ...


# How long a pad should still act on a command. A prompt is for the citizen at the counter
# now; a clock setting goes stale in seconds; a reboot or config may wait for a reconnect.
DEFAULT_TTL_MS = 10 * 60_000
TTL_MS = {"prompt": 60_000, "time": 30_000, "pause": 120_000, "resume": 120_000}
MAX_TTL_MS = 24 * 3600_000
ID_BYTES = 6          # "c-" + 12 hex: unique enough per deployment, short on a 1 KiB wire

# What a command shows as, for people (GET /commands/{id}).
SENT, OK, FAILED, EXPIRED, UNPUBLISHED = "sent", "ok", "failed", "expired", "unpublished"


def new_command_id() -> str:
    return "c-" + secrets.token_hex(ID_BYTES)


def send_command(session: Session, *, device_id: str, kind: str, fields: Mapping[str, Any], clock: Clock,
                 publish: Publish | Callable[..., None], actor: str, prefix: str = spec.PREFIX,
                 ttl_ms: int | None = None) -> Command:
    """Build, store (committed) and publish one command; returns the stored row."""
    dev = fleet.get_device(session, device_id)
    if dev.retired_ms is not None:
        raise Conflict(f"评价器 {device_id} 已停用", "请把指令发给替换它的评价器")
    if kind not in spec.COMMAND_TYPES:
        raise Invalid(f"指令类型 {kind!r} 不在通信协议 v1 中",
                      "指令类型只能是：" + "、".join(sorted(spec.COMMAND_TYPES)))
    allowed = {name for name, _, _ in spec.COMMAND_TYPES[kind]}
    stray = sorted(set(fields) - allowed)
    if stray:
        raise Invalid(f"{kind} 指令没有字段 {'、'.join(stray)}",
                      f"只能填：{'、'.join(sorted(allowed)) or '（不带字段）'}")
    ttl = ttl_ms if ttl_ms is not None else TTL_MS.get(kind, DEFAULT_TTL_MS)
    if not 0 < ttl <= MAX_TTL_MS:
        raise Invalid(f"有效期 ttl {ttl} ms 超出范围", f"请填 1 到 {MAX_TTL_MS} ms")
    now = clock.now_ms()
    body = dict(fields)
    if kind == "time" and "ts" not in body:
        body["ts"] = now          # the host's clock is the reference where NTP is unreachable
    cmd_id = new_command_id()
    try:
        msg = messages.command(cmd_id, kind, expires=now + ttl, **body)
        data = messages.encode(msg)
    except ProtocolError as exc:
        raise Invalid(f"{kind} 指令不对：{exc.message}",
                      "各字段见通信协议的指令表（docs：protocol.md）")
    row = Command(id=cmd_id, device_id=device_id, type=kind, body=msg, created_ms=now,
                  expires_ms=now + ttl, created_by=actor)
    session.add(row)
    audit.record(session, at_ms=now, actor=actor, action="command.send", subject=device_id,
                 command=cmd_id, type=kind)
    session.commit()
    try:
        publish(topics.topic(device_id, spec.CMD, prefix), data, spec.QOS, False)
    except Exception as exc:     # the broker or the ingest's client refused: keep the row, say so
        row.publish_error = repr(exc)
        session.add(row)
        session.commit()
        log.warning("command %s to %s not published: %r", cmd_id, device_id, exc)
        raise Unavailable(f"指令 {cmd_id} 已保存，但消息服务没有接收（{exc}）",
                          "请检查 /healthz 和消息服务，然后重新发送指令")
    row.published_ms = clock.now_ms()
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def get_command(session: Session, command_id: str) -> Command:
    row = session.get(Command, command_id)
    if row is None:
        raise NotFound(f"指令 {command_id!r} 不存在", "请用发送指令（POST）时返回的编号")
    return row


def list_commands(session: Session, device_id: str, limit: int = 50) -> list[Command]:
    q = (select(Command).where(Command.device_id == device_id)
         .order_by(col(Command.created_ms).desc()).limit(limit))
    return list(session.exec(q))


def status(row: Command, now_ms: int) -> str:
    if row.result_ok is not None:
        return OK if row.result_ok else FAILED
    if row.published_ms is None:
        return UNPUBLISHED
    if row.expires_ms is not None and now_ms > row.expires_ms:
        return EXPIRED
    return SENT


def record_result(session: Session, event: Event | Mapping[str, Any],
                  at_ms: int | None = None) -> Command | None:
    """Record a pad's ``cmd_result`` on its command (the caller commits, in the ingest's batch).

    ``event`` is the stored Event row or the parsed message. A result for a command of
    another device is ignored (a pad cannot answer for another pad), and a repeated result
    keeps the first answer. Returns the command, or None if it is not ours to record.
    """
    body: Mapping[str, Any]
    dev: Any
    seq: Any
    when: Any
    if isinstance(event, Event):
        body, dev, seq = event.body, event.device_id, event.seq
        when = at_ms if at_ms is not None else event.at_ms
    else:
        body, dev, seq = event, event.get("dev"), event.get("seq")
        when = at_ms if at_ms is not None else event.get("ts")
    cmd_id = body.get("id")
    row = session.get(Command, cmd_id) if isinstance(cmd_id, str) else None
    if row is None:
        log.warning("cmd_result from %s for unknown command %r", dev, cmd_id)
        return None
    if row.device_id != dev:
        log.warning("cmd_result from %s for %s's command %s ignored", dev, row.device_id, cmd_id)
        return None
    if row.result_ok is not None:
        return row
    row.result_ok = bool(body.get("ok"))
    row.result_detail = body.get("detail") or None
    row.result_ms = when
    row.result_seq = seq
    session.add(row)
    return row

"""The queue-system hook: service sessions (one citizen served) starting and ending at a window.

Counted sessions give the volume where a queue system is connected (R3); a session that
ended without a prompt is an R6 "no prompt" candidate. With ``prompt`` the hook also asks
the window's pad to prompt the citizen (command ``prompt`` with ``svc`` = the ticket, and the
case number 办件编号 and service item 事项 when the queue system gives them: the pad copies them
into its evaluation, issue 16).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlmodel import Session, select

from host import commands, fleet
from host.clock import Clock
from host.commands import Publish
from host.errors import Conflict, Invalid, NotFound, ServiceError
from host.models.commands import Command
from host.models.service import ServiceSession
from protocol import spec

log = logging.getLogger(__name__)

# A queue system's clock may run a little ahead of ours; more than this is a wrong clock.
MAX_FUTURE_SKEW_MS = 5 * 60_000
START, END = "start", "end"


RECENT_COMMANDS = 20     # a retry comes within seconds: the pad's last commands are enough to look at


def _prompted(session: Session, device_id: str, ticket: str) -> bool:
    return any(c.type == "prompt" and c.body.get("svc") == ticket and c.published_ms is not None
               for c in commands.list_commands(session, device_id, limit=RECENT_COMMANDS))


@dataclass
class HookResult:
    session: ServiceSession
    created: bool
    command: Command | None = None
    warnings: list[str] = field(default_factory=list)


def service_session(session: Session, *, window_number: str, ticket: str, action: str, clock: Clock,
                    publish: Publish, actor: str, at_ms: int | None = None, prompt: bool = False,
                    prefix: str = spec.PREFIX, case: str | None = None,
                    item: str | None = None) -> HookResult:
    """Record a session start or end (idempotent for the same ticket), then prompt if asked.

    The session row is committed before any prompt is sent, so a broker failure never loses
    it; prompt failures come back as warnings.
    """
    win = fleet.get_window(session, window_number)
    assert win.id is not None
    for name, value in (("case", case), ("item", item)):
        if value is not None and not 0 < len(value) <= spec.CASE_MAX:
            raise Invalid(f"{name} 须为 1 到 {spec.CASE_MAX} 个字符，现在是 {len(value)} 个",
                          f"请原样发送业务系统的{'办件编号' if name == 'case' else '事项名称'}，"
                          f"最多 {spec.CASE_MAX} 个字符，或不填")
    now = clock.now_ms()
    at = now if at_ms is None else at_ms
    if at > now + MAX_FUTURE_SKEW_MS:
        raise Invalid(f"时间 at_ms {at} 比现在晚了 {MAX_FUTURE_SKEW_MS // 1000} 秒以上",
                      "请检查叫号系统的时钟（NTP），或不填 at_ms，改用主机的时间")
    row = session.exec(select(ServiceSession).where(ServiceSession.window_id == win.id,
                                                    ServiceSession.ticket == ticket)).first()
    created = False
    if action == START:
        if row is None:
            row = ServiceSession(window_id=win.id, ticket=ticket, started_ms=at, source="queue")
            created = True
        elif row.ended_ms is not None:
            raise Conflict(f"窗口 {window_number} 的号 {ticket} 已在 {row.ended_ms} 办结",
                           "一个号只服务一位群众一次；请用新的号")
    elif action == END:
        if row is None:
            raise NotFound(f"窗口 {window_number} 没有号 {ticket} 的开始办理记录",
                           "请先为这个号发送 action=start（丢失的开始记录可以带上 at_ms 补发）")
        if row.ended_ms is None:
            if at < row.started_ms:
                raise Invalid(f"办结时间 {at} 早于开始办理时间 {row.started_ms}",
                              "请发送叫号系统记录的办结时间")
            row.ended_ms = at
            created = True
    else:
        raise Invalid(f"动作 action {action!r} 不对", "只能是 start（开始办理）或 end（办结）")
    session.add(row)
    session.commit()               # the row's fields load again when read (not for a batch that never does)
    result = HookResult(session=row, created=created)
    if prompt:
        pad = fleet.current_device(session, win)
        if pad is None:
            result.warnings.append(f"no pad sits on window {window_number}; no prompt was sent")
        elif not created and _prompted(session, pad.device_id, ticket):
            # A retried request must not prompt the citizen twice (two presses would look
            # like a consecutive evaluation, R6).
            result.warnings.append(f"a prompt for ticket {ticket} was already sent; not sent again")
        else:
            fields = {"svc": ticket, **({"case": case} if case else {}), **({"item": item} if item else {})}
            try:
                result.command = commands.send_command(
                    session, device_id=pad.device_id, kind="prompt", fields=fields, clock=clock,
                    publish=publish, actor=actor, prefix=prefix)
            except ServiceError as exc:
                log.warning("prompt for %s at %s failed: %s", ticket, window_number, exc)
                result.warnings.append(f"prompt not sent: {exc}")
    return result

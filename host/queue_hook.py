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
            raise Invalid(f"{name} must be 1 to {spec.CASE_MAX} characters, got {len(value)}",
                          f"send the business system's {'case number' if name == 'case' else 'service item'} "
                          f"as it is, at most {spec.CASE_MAX} characters, or leave it out")
    now = clock.now_ms()
    at = now if at_ms is None else at_ms
    if at > now + MAX_FUTURE_SKEW_MS:
        raise Invalid(f"at_ms {at} is more than {MAX_FUTURE_SKEW_MS // 1000} s in the future",
                      "check the queue system's clock (NTP), or leave at_ms out to use the host's time")
    row = session.exec(select(ServiceSession).where(ServiceSession.window_id == win.id,
                                                    ServiceSession.ticket == ticket)).first()
    created = False
    if action == START:
        if row is None:
            row = ServiceSession(window_id=win.id, ticket=ticket, started_ms=at, source="queue")
            created = True
        elif row.ended_ms is not None:
            raise Conflict(f"ticket {ticket} at window {window_number} already ended at {row.ended_ms}",
                           "a ticket id serves one citizen once; use a new ticket id")
    elif action == END:
        if row is None:
            raise NotFound(f"no session with ticket {ticket} started at window {window_number}",
                           "send action=start for the ticket first (a lost start can be sent late "
                           "with its at_ms)")
        if row.ended_ms is None:
            if at < row.started_ms:
                raise Invalid(f"end {at} is before the session's start {row.started_ms}",
                              "send the end time the queue system recorded")
            row.ended_ms = at
            created = True
    else:
        raise Invalid(f"action {action!r} is unknown", "use start or end")
    session.add(row)
    session.commit()
    session.refresh(row)
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

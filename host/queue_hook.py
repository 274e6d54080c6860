"""The queue-system hook: service sessions (one citizen served) starting and ending at a window.

Counted sessions give the volume where a queue system is connected (R3); a session that
ended without a prompt is an R6 "no prompt" candidate. With ``prompt`` the hook also asks
the window's pad to prompt the citizen (command ``prompt`` with ``svc`` = the ticket, and the
case number 办件编号 and service item 事项 when the queue system gives them: the pad copies them
into its evaluation, issue 16).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from host import commands, fleet
from host.clock import Clock
from host.commands import Publish
from host.errors import Conflict, Invalid, NotFound, ServiceError
from host.models.commands import Command
from host.models.fleet import Window
from host.models.service import ServiceSession
from protocol import spec

log = logging.getLogger(__name__)

# A queue system's clock may run a little ahead of ours; more than this is a wrong clock.
MAX_FUTURE_SKEW_MS = 5 * 60_000
START, END = "start", "end"
BATCH_MAX = 1000         # reports in one batch: a queue system catching up sends them in pages


RECENT_COMMANDS = 20     # a retry comes within seconds: the pad's last commands are enough to look at


def _prompted(session: Session, device_id: str, ticket: str) -> bool:
    return any(c.type == "prompt" and c.body.get("svc") == ticket and c.published_ms is not None
               for c in commands.list_commands(session, device_id, limit=RECENT_COMMANDS))


@dataclass(frozen=True)
class Report:
    """One line of a queue system's report: ticket ``ticket`` started or ended at window
    ``window`` at ``at_ms`` (None: now)."""

    window: str
    ticket: str
    action: str
    at_ms: int | None = None


@dataclass
class Recorded:
    """What became of one report: the session row, whether the report changed it (a repeat
    changes nothing), or the error that refused it."""

    report: Report
    row: ServiceSession | None = None
    created: bool = False
    error: ServiceError | None = None


@dataclass
class HookResult:
    session: ServiceSession
    created: bool
    command: Command | None = None
    warnings: list[str] = field(default_factory=list)


def record_sessions(session: Session, reports: Sequence[Report], *, clock: Clock,
                    allow: Callable[[Window], None] | None = None) -> list[Recorded]:
    """Record starts and ends of many sessions in one transaction, in their order (a start and
    its end may come in the same batch), and commit.

    Each report is judged as one request would be (R3, R6: idempotent per ticket; an end needs
    its start; no time far in the future); a refused report is returned with its error and the
    rest are recorded. ``allow`` raises a ServiceError for a window the caller may not report
    for. The rows the batch names are read in one query, so a queue system catching up after an
    outage (or the simulator's hall) costs one transaction, not one per session.
    """
    if not reports:
        return []
    out = _judge(session, reports, clock.now_ms(), allow)
    try:
        session.commit()
    except IntegrityError:
        # Another request recorded one of these tickets first: read again, it is a repeat now.
        session.rollback()
        out = _judge(session, reports, clock.now_ms(), allow)
        session.commit()
    return out


def _judge(session: Session, reports: Sequence[Report], now: int,
           allow: Callable[[Window], None] | None) -> list[Recorded]:
    numbers = {r.window for r in reports}
    windows = {w.number: w for w in session.exec(select(Window).where(col(Window.number).in_(numbers)))}
    ids = {w.id for w in windows.values()}
    tickets = {r.ticket for r in reports}
    rows: dict[tuple[int, str], ServiceSession] = {
        (x.window_id, x.ticket): x for x in session.exec(select(ServiceSession).where(
            col(ServiceSession.window_id).in_(ids), col(ServiceSession.ticket).in_(tickets)))}
    out = []
    for report in reports:
        try:
            win = windows.get(report.window)
            if win is None or win.id is None:
                raise fleet.no_window(report.window)
            if allow is not None:
                allow(win)
            key = (win.id, report.ticket)
            row, created = _apply(rows.get(key), win.id, report, now)
        except ServiceError as exc:
            out.append(Recorded(report, error=exc))
            continue
        if created:
            rows[key] = row
            session.add(row)
        out.append(Recorded(report, row, created))
    return out


def _apply(row: ServiceSession | None, window_id: int, report: Report,
           now: int) -> tuple[ServiceSession, bool]:
    """One start or end against the ticket's row (None: not seen yet): the row, and whether
    the report changed it. Raises a ServiceError saying what is wrong and how to fix it."""
    at = now if report.at_ms is None else report.at_ms
    if at > now + MAX_FUTURE_SKEW_MS:
        raise Invalid(f"时间 at_ms {at} 比现在晚了 {MAX_FUTURE_SKEW_MS // 1000} 秒以上",
                      "请检查叫号系统的时钟（NTP），或不填 at_ms，改用主机的时间")
    window, ticket = report.window, report.ticket
    if report.action == START:
        if row is None:
            return ServiceSession(window_id=window_id, ticket=ticket, started_ms=at, source="queue"), True
        if row.ended_ms is not None and report.at_ms != row.started_ms:   # the same start again is a repeat
            raise Conflict(f"窗口 {window} 的号 {ticket} 已在 {row.ended_ms} 办结",
                           "一个号只服务一位群众一次；请用新的号")
        return row, False
    if report.action == END:
        if row is None:
            raise NotFound(f"窗口 {window} 没有号 {ticket} 的开始办理记录",
                           "请先为这个号发送 action=start（丢失的开始记录可以带上 at_ms 补发）")
        if row.ended_ms is not None:
            return row, False
        if at < row.started_ms:
            raise Invalid(f"办结时间 {at} 早于开始办理时间 {row.started_ms}", "请发送叫号系统记录的办结时间")
        row.ended_ms = at
        return row, True
    raise Invalid(f"动作 action {report.action!r} 不对", "只能是 start（开始办理）或 end（办结）")


def service_session(session: Session, *, window_number: str, ticket: str, action: str, clock: Clock,
                    publish: Publish, actor: str, at_ms: int | None = None, prompt: bool = False,
                    prefix: str = spec.PREFIX, case: str | None = None,
                    item: str | None = None) -> HookResult:
    """Record a session start or end (idempotent for the same ticket), then prompt if asked.

    The session row is committed before any prompt is sent, so a broker failure never loses
    it; prompt failures come back as warnings.
    """
    for name, value in (("case", case), ("item", item)):
        if value is not None and not 0 < len(value) <= spec.CASE_MAX:
            raise Invalid(f"{name} 须为 1 到 {spec.CASE_MAX} 个字符，现在是 {len(value)} 个",
                          f"请原样发送业务系统的{'办件编号' if name == 'case' else '事项名称'}，"
                          f"最多 {spec.CASE_MAX} 个字符，或不填")
    done = record_sessions(session, [Report(window_number, ticket, action, at_ms)], clock=clock)[0]
    if done.error is not None:
        raise done.error
    assert done.row is not None
    created = done.created
    result = HookResult(session=done.row, created=created)
    if prompt:
        win = fleet.get_window(session, window_number)
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

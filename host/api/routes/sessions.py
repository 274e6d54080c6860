"""The queue-system hook: a service session started or ended at a window (R3, R6)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlmodel import col, select

from host import fleet
from host.api.deps import ClockDep, PublishDep, QueueClient, SessionDep, SettingsDep
from host.api.params import TimeMs
from host.api.schemas import (
    DEFAULT_PAGE,
    MAX_PAGE,
    SessionBatchIn,
    SessionBatchOut,
    SessionIn,
    SessionOut,
    SessionPublic,
    SessionReportOut,
)
from host.api.views import command_public
from host.models.fleet import Window
from host.models.service import ServiceSession
from host.queue_hook import Recorded, Report, record_sessions, service_session

router = APIRouter(tags=["queue hook"])


@router.post("/windows/{number}/sessions", response_model=SessionOut, status_code=status.HTTP_201_CREATED)
def session_event(number: str, body: SessionIn, who: QueueClient, session: SessionDep, clock: ClockDep,
                  publish: PublishDep, settings: SettingsDep, response: Response) -> SessionOut:
    """Start or end a service session by ticket id; ``prompt: true`` also prompts the window's pad.

    Repeating the same start or end is harmless (200 instead of 201). A prompt that could
    not be sent is listed in ``warnings``; the session is recorded regardless.
    """
    who.check_window(fleet.get_window(session, number).id)
    result = service_session(session, window_number=number, ticket=body.ticket, action=body.action,
                             clock=clock, publish=publish, actor=who.actor, at_ms=body.at_ms,
                             prompt=body.prompt, prefix=settings.mqtt_prefix, case=body.case, item=body.item)
    if not result.created:
        response.status_code = status.HTTP_200_OK
    s = result.session
    return SessionOut(window=number, ticket=s.ticket, started_ms=s.started_ms, ended_ms=s.ended_ms,
                      source=s.source, warnings=result.warnings,
                      command=command_public(result.command, clock.now_ms()) if result.command else None)


@router.get("/windows/{number}/sessions", response_model=list[SessionPublic])
def sessions(number: str, who: QueueClient, session: SessionDep,
             from_ms: TimeMs = None, to_ms: TimeMs = None,
             limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE) -> list[SessionPublic]:
    """The window's service sessions, newest first."""
    win = fleet.get_window(session, number)
    who.check_window(win.id)
    q = select(ServiceSession).where(ServiceSession.window_id == win.id)
    if from_ms is not None:
        q = q.where(col(ServiceSession.started_ms) >= from_ms)
    if to_ms is not None:
        q = q.where(col(ServiceSession.started_ms) < to_ms)
    q = q.order_by(col(ServiceSession.started_ms).desc()).limit(limit)
    return [SessionPublic(window=number, ticket=s.ticket, started_ms=s.started_ms, ended_ms=s.ended_ms,
                          source=s.source) for s in session.exec(q)]


@router.post("/sessions", response_model=SessionBatchOut)
def session_batch(body: SessionBatchIn, who: QueueClient, session: SessionDep,
                  clock: ClockDep) -> SessionBatchOut:
    """Many starts and ends at once, in order, each with its ``at_ms``: what a queue system sends
    after an outage, or every few minutes instead of a request per ticket. Each line is judged
    as ``POST /windows/{number}/sessions`` would judge it (no prompt is sent: the citizen has
    gone); refused lines come back with what is wrong and how to fix it, the rest are recorded.
    """

    def allow(win: Window) -> None:
        who.check_window(win.id)

    done = record_sessions(session, [Report(r.window, r.ticket, r.action, r.at_ms) for r in body.sessions],
                           clock=clock, allow=allow)
    lines = [_line(d) for d in done]
    return SessionBatchOut(created=sum(x.status == "created" for x in lines),
                           repeated=sum(x.status == "repeated" for x in lines),
                           refused=sum(x.status == "refused" for x in lines), sessions=lines)


def _line(d: Recorded) -> SessionReportOut:
    r = d.report
    if d.error is not None:
        return SessionReportOut(window=r.window, ticket=r.ticket, action=r.action, status="refused",
                                title=d.error.title, detail=d.error.detail, fix=d.error.fix)
    assert d.row is not None
    return SessionReportOut(window=r.window, ticket=r.ticket, action=r.action,
                            status="created" if d.created else "repeated",
                            started_ms=d.row.started_ms, ended_ms=d.row.ended_ms)

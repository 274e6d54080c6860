"""大厅看板: every window's pad live (R5), today's count and satisfaction; patrol notes.

The board page draws the first snapshot server-side; ``/board/stream`` (Server-Sent Events)
sends a new snapshot whenever the database's view changes (the ingest writes DeviceStatus
and events; polling the database once a second keeps the web tier independent of it).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator
from datetime import datetime, time
from math import ceil, sqrt
from time import monotonic
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy import case, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from host import fleet, labels, violations
from host.auth import policy
from host.auth.roles import Role
from host.clock import RULES_TZ, Clock, local
from host.models.audit import AuditEntry
from host.models.events import Event
from host.models.fleet import Assignment
from host.models.liveness import DeviceStatus
from host.violations.review import MAX_NOTE, PATROL_NOTE, PATROL_VIOLATIONS
from host.web.core import DB, ClockDep, Viewer, action, back, fmt_time, page, render

log = logging.getLogger(__name__)
router = APIRouter()

POLL_S = 1.0  # how often the stream looks for changes: a wall screen, not a trading floor
KEEPALIVE_S = 15.0  # an SSE comment now and then keeps proxies from closing an idle stream
# Each stream ends after this long and the browser reconnects at once (EventSource does, after
# RETRY_MS): the server never holds a stream open for ever, so a shutdown does not wait on a
# wall screen, and a revoked login stops receiving within this time.
STREAM_S = 30.0
RETRY_MS = 1000
BOARD_ROLES = policy.EVERYONE


def day_start_ms(now_ms: int) -> int:
    day = local(now_ms).date()
    return int(datetime.combine(day, time(0), RULES_TZ).timestamp() * 1000)


def since_text(ms: int, now_ms: int) -> str:
    """A moment as a person reads it: the time alone today, with its date on any other day."""
    same_day = local(ms).date() == local(now_ms).date()
    return fmt_time(ms, "%H:%M" if same_day else "%m-%d %H:%M" if local(ms).year == local(now_ms).year
                    else "%Y-%m-%d %H:%M")


# The hall summary strip (服务中, 暂停服务, 离线, 故障): which board states each count holds.
SUMMARY = (("serving", "服务中", ("serving", "prompt")), ("paused", "暂停服务", ("paused",)),
           ("offline", "离线", ("offline", "unknown")), ("fault", "故障", ("fault",)),
           ("unconfigured", "未配置", ("unconfigured",)))


def summary(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"key": key, "label": label, "count": sum(r["state"] in states for r in rows)}
            for key, label, states in SUMMARY]


def wall_layout(n: int) -> dict[str, Any]:
    """Columns and a type scale that fill a 16:9 wall screen with ``n`` tiles (12 to 60 and more):
    about 1.6 columns per row, at most 9 across (a tile must hold 暂停服务 at 40 px on 1920 px),
    larger type when there are few tiles; from 7 rows on a tile leaves out its "since" line (the
    tile's hover text keeps it), so 60 windows fit 1080 px at full size."""
    cols = max(3, min(9, ceil(sqrt(max(n, 1) * 1.6))))
    rows = max(1, ceil(n / cols))
    by_rows = 1.0 if rows >= 6 else 1.15 if rows >= 5 else 1.3 if rows >= 4 else 1.5
    by_cols = 1.0 if cols >= 9 else 1.15 if cols >= 8 else 1.3 if cols >= 7 else 1.5
    return {"cols": cols, "rows": rows, "scale": min(by_rows, by_cols), "dense": rows >= 7}


def snapshot(session: Session, clock: Clock, window_id: int | None = None) -> list[dict[str, Any]]:
    """One row per active window: its pad's state, since when, today's count and satisfaction."""
    now = clock.now_ms()
    start = day_start_ms(now)
    sat = func.sum(case((col(Event.rating) == "satisfied", 1), else_=0))
    counts = {
        wid: (int(n or 0), int(s or 0))
        for wid, n, s in session.exec(
            select(Event.window_id, func.count(), sat)
            .where(Event.type == "eval", col(Event.at_ms) >= start, col(Event.at_ms) < start + 86_400_000)
            .group_by(col(Event.window_id))
        )
    }
    pads: dict[int | None, tuple[str | None, DeviceStatus | None]] = {
        wid: (dev, st)
        for wid, dev, st in session.exec(
            select(Assignment.window_id, Assignment.device_id, DeviceStatus)
            .join(DeviceStatus, col(DeviceStatus.device_id) == Assignment.device_id, isouter=True)
            .where(col(Assignment.end_ms).is_(None))
        )
    }
    rows = []
    for win in fleet.list_windows(session):
        if window_id is not None and win.id != window_id:
            continue
        dev, st = pads.get(win.id, (None, None))
        n, s = counts.get(win.id, (0, 0))
        key = labels.state_of(st.online, st.mode, st.faults) if st is not None else "offline"
        if dev is None:
            key = "unconfigured"
        since = st.since_ms if st is not None else None
        rows.append(
            {
                "number": win.number,
                "name": win.name,
                "device": dev,
                "state": key,
                "state_zh": labels.STATE[key],
                "since_ms": since,
                "since": since_text(since, now) if since else "—",
                "today": n,
                "satisfied": s,
                "unsatisfied": n - s,
                "rate": f"{s * 100 / n:.1f}%" if n else "—",
            }
        )
    return rows


@router.get("/board", response_class=HTMLResponse, include_in_schema=False)
def board(
    request: Request, session: DB, clock: ClockDep, viewer: Annotated[Viewer, Depends(page(*BOARD_ROLES))]
) -> HTMLResponse:
    scope = viewer.principal.window_id if viewer.role is Role.STAFF else None
    notes = recent_notes(session, clock.now_ms())
    rows = snapshot(session, clock, scope)
    now = local(clock.now_ms())
    return render(
        request,
        "board.html",
        viewer,
        rows=rows,
        notes=notes,
        summary=summary(rows),
        layout=wall_layout(len(rows)),
        today=f"{now:%Y年%m月%d日} {WEEKDAYS[now.weekday()]}",
        clock_now=f"{now:%H:%M}",
        wall=request.query_params.get("wall") == "1",
    )


WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


class SharedSnapshots:
    """One snapshot per scope and poll period, shared by every open board stream.

    A snapshot of a 200-window hall takes ~0.1 s (bench/web_bench.py); without sharing, each
    wall screen and browser tab would cost that every second.
    """

    def __init__(self, max_age_s: float = POLL_S) -> None:
        self.max_age_s = max_age_s
        self._lock = threading.Lock()
        self._cache: dict[int | None, tuple[float, str]] = {}

    def get(self, engine: Engine, clock: Clock, scope: int | None) -> str:
        with self._lock:  # one thread computes; the others wait and reuse its result
            hit = self._cache.get(scope)
            if hit is not None and monotonic() - hit[0] < self.max_age_s:
                return hit[1]
            with Session(engine) as session:
                data = json.dumps(snapshot(session, clock, scope), ensure_ascii=False)
            self._cache[scope] = (monotonic(), data)
            return data


def _snapshot_json(request: Request, scope: int | None) -> str:
    app = request.app
    shared = getattr(app.state, "board_snapshots", None)
    if shared is None:
        shared = app.state.board_snapshots = SharedSnapshots()
    return shared.get(app.state.engine, app.state.clock, scope)  # type: ignore[no-any-return]


async def _events(request: Request, scope: int | None) -> AsyncIterator[str]:
    last = None
    idle = elapsed = 0.0
    yield f"retry: {RETRY_MS}\n\n"
    while elapsed < STREAM_S and not await request.is_disconnected():
        data = await run_in_threadpool(_snapshot_json, request, scope)
        if data != last:
            last = data
            idle = 0.0
            yield f"event: board\ndata: {data}\n\n"
        elif idle >= KEEPALIVE_S:
            idle = 0.0
            yield ": keepalive\n\n"
        await asyncio.sleep(POLL_S)
        idle += POLL_S
        elapsed += POLL_S


@router.get("/board/stream", include_in_schema=False)
def board_stream(request: Request, viewer: Annotated[Viewer, Depends(page(*BOARD_ROLES))]) -> Response:
    scope = viewer.principal.window_id if viewer.role is Role.STAFF else None
    return StreamingResponse(
        _events(request, scope),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def recent_notes(session: Session, now_ms: int, limit: int = 20) -> list[Any]:
    """Today's patrol notes, newest first (stored in the audit trail: who, when, what, R12)."""
    q = (
        select(AuditEntry)
        .where(AuditEntry.action == PATROL_NOTE, col(AuditEntry.at_ms) >= day_start_ms(now_ms))
        .order_by(col(AuditEntry.at_ms).desc())
        .limit(limit)
    )
    return list(session.exec(q))


@router.post("/board/notes", include_in_schema=False)
def patrol_note(
    session: DB,
    clock: ClockDep,
    window: Annotated[str, Form()],
    note: Annotated[str, Form()],
    viewer: Annotated[Viewer, Depends(action(*policy.REPORT_VIOLATION))],
    violation: Annotated[str, Form()] = "",
) -> Response:
    """巡查记录: a patrol's note against a window, kept with who and when; optionally also an
    R6 candidate (未提示评价/拒绝评价) for the management section to confirm or dismiss."""
    text = " ".join(note.split())
    if not text:
        return back("/board", err="巡查记录不能为空，请写明所见情况。")
    if len(text) > MAX_NOTE:
        return back("/board", err=f"巡查记录最多 {MAX_NOTE} 字，请精简。")
    if violation and violation not in PATROL_VIOLATIONS:
        return back("/board", err="巡查只能上报“未提示评价”或“拒绝评价”线索。")
    win = fleet.get_window(session, window)
    assert win.id is not None
    cand = violations.patrol_note(session, window_id=win.id, window_number=win.number, text=text,
                                  by=viewer.principal.actor, now_ms=clock.now_ms(), violation=violation)
    if cand is not None:
        return back(
            "/board", ok=f"已记录 {win.number} 窗口的巡查情况，并上报违规线索 #{cand.id} 待管理科审核。"
        )
    return back("/board", ok=f"已记录 {win.number} 窗口的巡查情况。")

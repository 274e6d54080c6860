"""The hall board's 好差评 alerts (issue 16): ``/board/alerts`` gives the unacknowledged alerts of
the last hours as JSON, which ``static/alerts.js`` shows above the board and refreshes every few
seconds (apart from the board's own stream, host.web.board). Staff see their own window's."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from host import fleet, labels
from host.auth import policy
from host.auth.roles import Role
from host.goodbad import alerts
from host.web.core import DB, ClockDep, Viewer, fmt_time, page

router = APIRouter()
SHOWN_MS = 4 * 3_600_000  # the board shows what the management section has not yet seen, of 4 hours


@router.get("/board/alerts", include_in_schema=False)
def board_alerts(
    session: DB, clock: ClockDep, viewer: Annotated[Viewer, Depends(page(*policy.ALERTS))]
) -> list[dict[str, Any]]:
    numbers = fleet.window_numbers(session)
    own = viewer.principal.window_id if viewer.role is Role.STAFF else None
    out = []
    for a in alerts.recent(session, clock.now_ms(), SHOWN_MS, unacknowledged=True):
        if own is not None and a.window_id != own:
            continue
        number = numbers.get(a.window_id, str(a.window_id))
        text = (
            f"窗口 {number} 收到差评"
            if a.kind == alerts.BAD_REVIEW
            else f"窗口 {number} 集中出现不满意评价：{a.ratings} 次中 {a.unsatisfied} 次不满意"
        )
        if a.presses > 1:
            text += f"（共 {a.presses} 次）"
        out.append(
            {
                "id": a.id,
                "kind": a.kind,
                "kind_zh": labels.ALERT_KIND.get(a.kind, a.kind),
                "window": number,
                "at": fmt_time(a.first_ms, "%H:%M"),
                "text": text,
            }
        )
    return out

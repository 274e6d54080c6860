"""配置 · 好差评 (issue 16): the scoring mode and the five levels' points (shown as an assumption
while they are the shipped default, like the summer schedule), the bad-review deadlines in working
days and the burst rule of the live alerts. Each change is a rule setting, audited (R12)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response
from sqlmodel import Session

from host.auth import policy
from host.calendar import config
from host.errors import ServiceError
from host.rules.goodbad import format_level_points
from host.web.core import DB, ClockDep, Viewer, action, back

router = APIRouter(prefix="/config")
Editor = Annotated[Viewer, Depends(action(*policy.WINDOWS_EDIT))]
KEYS = (
    config.SCORING_MODE,
    config.LEVEL_POINTS,
    config.CALLBACK_DAYS,
    config.RECTIFY_DAYS,
    config.BURST_WINDOW_MS,
    config.BURST_MIN_RATINGS,
    config.BURST_SHARE_PCT,
)


def view(session: Session) -> dict[str, Any]:
    """What the configuration page shows of 好差评: each setting's value, whether it is the default."""
    rows = config.settings_values(session)
    cfg = config.load_config(session)
    return {
        "values": {k: r.value if (r := rows[k]) is not None else config.DEFAULTS[k] for k in KEYS},
        "changed": {k: rows[k] for k in KEYS if rows[k] is not None},
        "mode": cfg.scoring_mode,
        "points": format_level_points(cfg.level_points),
        "points_assumed": cfg.default_level_points,
        "burst_minutes": cfg.burst.window_ms // 60_000,
    }


@router.post("/goodbad", include_in_schema=False)
def save(
    session: DB,
    clock: ClockDep,
    viewer: Editor,
    scoring_mode: Annotated[str, Form()],
    level_points: Annotated[str, Form()],
    callback_working_days: Annotated[str, Form()],
    rectify_working_days: Annotated[str, Form()],
    burst_minutes: Annotated[str, Form()],
    burst_min_ratings: Annotated[str, Form()],
    burst_share_percent: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    minutes = burst_minutes.strip()
    wanted = {
        config.SCORING_MODE: scoring_mode,
        config.LEVEL_POINTS: level_points,
        config.CALLBACK_DAYS: callback_working_days,
        config.RECTIFY_DAYS: rectify_working_days,
        config.BURST_WINDOW_MS: str(int(minutes) * 60_000) if minutes.isdigit() else minutes,
        config.BURST_MIN_RATINGS: burst_min_ratings,
        config.BURST_SHARE_PCT: burst_share_percent,
    }
    current = view(session)["values"]
    changed = 0
    try:
        for key, value in wanted.items():
            if value.strip() != current[key]:
                config.set_setting(
                    session, clock, key, value, by=viewer.principal.actor, reason=reason.strip()
                )
                changed += 1
    except ServiceError as exc:
        return back("/config", err=f"好差评设置未全部保存（已保存 {changed} 项）：{exc.detail}")
    return back("/config", ok=f"好差评设置已保存（{changed} 项有变化）。")

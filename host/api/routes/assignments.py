"""The assignment history (R10): which pad sat on which window when, and corrections of it."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, Field

from host import corrections, fleet
from host.api.deps import ClockDep, EventReader, FleetEditor, PublishDep, SessionDep, SettingsDep
from host.api.schemas import AssignmentPublic
from host.api.views import assignment_public
from host.auth.roles import Role
from host.models.fleet import AssignmentCorrection

router = APIRouter(prefix="/assignments", tags=["assignments"])


@router.get("", response_model=list[AssignmentPublic])
def assignments(who: EventReader, session: SessionDep, device: str | None = None,
                window: str | None = None) -> list[AssignmentPublic]:
    window_id = fleet.get_window(session, window).id if window else None
    if who.role is Role.STAFF:
        if window_id is not None:
            who.check_window(window_id)
        window_id = who.window_id
    rows = fleet.assignments(session, device_id=device, window_id=window_id)
    return [assignment_public(session, a) for a in rows]


class MoveIn(BaseModel):
    device: str = Field(examples=["w06"])
    window: str | None = Field(examples=["W07"], description="the window it moved onto; null: onto none")


class CorrectionIn(BaseModel):
    at_ms: int = Field(ge=0, description="when the pads really moved (Unix ms UTC, in the past)")
    moves: list[MoveIn] = Field(min_length=1, max_length=16,
                                description="each pad that moved then; an exchange is two moves")
    reason: str = Field(min_length=1, max_length=2000, description="what happened (R12)")
    preview: bool = Field(False, description="compute and show, store nothing")


class CorrectionPublic(BaseModel):
    id: int | None = Field(description="null in a preview")
    at_ms: int
    recorded_ms: int
    by: str
    reason: str
    moves: list[dict]
    before: list[dict] = Field(description="the intervals it replaced")
    after: list[dict] = Field(description="the intervals it wrote")
    events_moved: int
    moved: list[dict] = Field(description="events re-attributed, counted by window: {from, to, events}")
    unplaced: int = Field(description="events now on no window (counted nowhere)")
    closed_months: list[str] = Field(description="closed months it reaches: their reports are not changed "
                                     "and list it like a late event (R11)")
    review: list[int] = Field(description="decided violation candidates whose evidence moved")
    preview: bool = False
    detected: int | None = Field(None, description="R6 candidates detection added after it")
    withdrawn: int | None = None
    replayed: int | None = Field(None, description="held-back events now placed")


def _public(c: AssignmentCorrection, r: corrections.CorrectionResult | None = None) -> CorrectionPublic:
    moved = [{"from": a, "to": b, "events": n} for (a, b), n in sorted(r.moved.items())] if r else []
    return CorrectionPublic(id=c.id, at_ms=c.at_ms, recorded_ms=c.recorded_ms, by=c.by, reason=c.reason,
                            moves=c.moves, before=c.before, after=c.after, events_moved=len(c.moved),
                            moved=moved, unplaced=r.unplaced if r else 0, closed_months=c.closed_months,
                            review=r.review if r else [], preview=r.preview if r else False,
                            detected=None, withdrawn=None, replayed=None)


@router.post("/corrections", response_model=CorrectionPublic, status_code=status.HTTP_201_CREATED)
def correct(body: CorrectionIn, who: FleetEditor, session: SessionDep, clock: ClockDep, publish: PublishDep,
            settings: SettingsDep, request: Request) -> CorrectionPublic:
    """Record a pad move at its real past time (R10): the history is rewritten from then, the pads'
    events follow it; a closed month keeps its report and lists the correction (R11); audited (R12)."""
    r = corrections.correct(session, moves=[corrections.Move(m.device, m.window) for m in body.moves],
                            at_ms=body.at_ms, clock=clock, actor=who.actor, reason=body.reason,
                            preview=body.preview)
    out = _public(r.correction, r)
    if body.preview:
        return out
    done = corrections.settle(request.app.state.engine, r, clock, prefix=settings.mqtt_prefix,
                              publish=publish)
    return out.model_copy(update={"detected": done.detected, "withdrawn": done.withdrawn,
                                  "replayed": done.replayed})


@router.get("/corrections", response_model=list[CorrectionPublic])
def list_corrections(who: FleetEditor, session: SessionDep,
                     device: str | None = None) -> list[CorrectionPublic]:
    """Corrections recorded, newest first."""
    return [_public(c) for c in corrections.list_corrections(session, device_id=device)]

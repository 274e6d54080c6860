"""The IT section's fault log (报修记录, R7): report, acknowledge, resolve, summary, export."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from host import exports, faults, fleet
from host.api.deps import ClockDep, SessionDep
from host.api.download import check_format, download
from host.api.params import Id, MonthQuery, MonthRequired
from host.api.routes.review_common import FaultUser, FaultWorker, SummaryReader, window_id
from host.auth.roles import Role
from host.models.faults import Fault
from host.rules.month_span import month_span
from host.rules.types import Span

router = APIRouter(prefix="/faults", tags=["faults (R7)"])
Verdict = Literal["pad_fault", "network", "power", "staff_caused", "no_fault_found"]
SYNC_LOOKBACK_MS = 86_400_000       # a day: the ingest calls sync far more often than that


class FaultPublic(BaseModel):
    id: int
    source: str
    device_id: str | None
    devices: list[str]
    window: str | None
    code: str
    detail: str
    status: str
    verdict: str | None
    started_ms: int
    cleared_ms: int | None
    opened_ms: int
    opened_by: str
    acknowledged_ms: int | None
    assignee: str | None
    resolved_ms: int | None
    repair_notes: str
    repeats: int


class FaultIn(BaseModel):
    detail: str = Field(min_length=1, description="what is wrong")
    window: str | None = None
    device_id: str | None = None
    started_ms: int | None = Field(None, description="when it began, if before now")


class AckIn(BaseModel):
    assignee: str | None = None
    note: str = ""


class ResolveIn(BaseModel):
    verdict: Verdict
    notes: str = Field(min_length=1)
    cleared_ms: int | None = None


class ReclassifyIn(BaseModel):
    verdict: Verdict
    reason: str = Field(min_length=1)


class SummaryOut(BaseModel):
    total: int
    resolved: int
    mttr_ms: int | None
    by_status: dict[str, int]
    by_verdict: dict[str, int]
    per_pad: dict[str, int]


class SyncOut(BaseModel):
    opened: int
    outages: int


def _public(f: Fault, numbers: dict[int, str]) -> FaultPublic:
    assert f.id is not None
    return FaultPublic(id=f.id, source=f.source, device_id=f.device_id, devices=list(f.devices),
                       window=numbers.get(f.window_id) if f.window_id is not None else None, code=f.code,
                       detail=f.detail, status=f.status, verdict=f.verdict, started_ms=f.started_ms,
                       cleared_ms=f.cleared_ms, opened_ms=f.opened_ms, opened_by=f.opened_by,
                       acknowledged_ms=f.acknowledged_ms, assignee=f.assignee, resolved_ms=f.resolved_ms,
                       repair_notes=f.repair_notes, repeats=f.repeats)


@router.get("", response_model=list[FaultPublic])
def list_faults(who: FaultUser, session: SessionDep, status: str | None = None, device_id: str | None = None,
                window: str | None = None, month: MonthQuery = None) -> list[FaultPublic]:
    """The log (staff: their window's), by start time."""
    span = month_span(month) if month else None
    rows = faults.list_faults(session, status=status, device_id=device_id,
                              window_id=window_id(session, window, who),
                              since_ms=span.start_ms if span else None,
                              until_ms=span.end_ms if span else None)
    numbers = fleet.window_numbers(session)
    return [_public(f, numbers) for f in rows]


@router.get("/summary", response_model=SummaryOut)
def summary(who: SummaryReader, session: SessionDep, month: MonthRequired) -> SummaryOut:
    """Faults opened in a month: counts, MTTR (opened -> resolved), faults per pad."""
    s = faults.summary(session, month_span(month))
    return SummaryOut(total=s.total, resolved=s.resolved, mttr_ms=s.mttr_ms, by_status=s.by_status,
                      by_verdict=s.by_verdict, per_pad=s.per_pad)


@router.get("/export")
def export(who: SummaryReader, session: SessionDep, month: MonthQuery = None,
           format: str = "xlsx") -> Response:
    """The log (or a month of it), CSV or printable Excel (Chinese headers)."""
    check_format(format)
    span = month_span(month) if month else None
    rows = faults.list_faults(session, since_ms=span.start_ms if span else None,
                              until_ms=span.end_ms if span else None)
    write = exports.fault_log_csv if format == "csv" else exports.fault_log_xlsx
    return download(write(rows, fleet.window_names(session)), format, f"faults-{month or 'all'}")


@router.post("/sync", response_model=SyncOut)
def sync(who: FaultWorker, session: SessionDep, clock: ClockDep) -> SyncOut:
    """Open faults from the last day's pad events and mass outages (idempotent)."""
    now = clock.now_ms()
    span = Span(now - SYNC_LOOKBACK_MS, now + 1)
    opened = faults.sync_pad_events(session, span, now_ms=now)
    return SyncOut(opened=opened, outages=len(faults.detect_outages(session, span, now_ms=now)))


@router.post("", response_model=FaultPublic, status_code=status.HTTP_201_CREATED)
def report(body: FaultIn, who: FaultUser, session: SessionDep, clock: ClockDep) -> FaultPublic:
    """Report a problem with a pad (name the pad or its window); a repeat updates the open entry."""
    wid = window_id(session, body.window, who) if body.window or who.role is Role.STAFF else None
    if who.role is Role.STAFF and body.device_id is not None:
        who.check_window(faults.window_of(session, body.device_id, clock.now_ms()))
    row = faults.report_fault(session, by=who.actor, detail=body.detail, now_ms=clock.now_ms(),
                              device_id=body.device_id, window_id=wid, started_ms=body.started_ms)
    return _public(row, fleet.window_numbers(session))


@router.get("/{fault_id}", response_model=FaultPublic)
def fault(fault_id: Id, who: FaultUser, session: SessionDep) -> FaultPublic:
    row = faults.get_fault(session, fault_id)
    if who.role is Role.STAFF:
        who.check_window(row.window_id)
    return _public(row, fleet.window_numbers(session))


@router.post("/{fault_id}/ack", response_model=FaultPublic)
def ack(fault_id: Id, body: AckIn, who: FaultWorker, session: SessionDep, clock: ClockDep) -> FaultPublic:
    row = faults.acknowledge(session, fault_id, by=who.actor, assignee=body.assignee, note=body.note,
                             now_ms=clock.now_ms())
    return _public(row, fleet.window_numbers(session))


@router.post("/{fault_id}/resolve", response_model=FaultPublic)
def resolve(fault_id: Id, body: ResolveIn, who: FaultWorker, session: SessionDep,
            clock: ClockDep) -> FaultPublic:
    """Close with a verdict; ``pad_fault`` waives the deductions it overlaps (R7)."""
    row = faults.resolve(session, fault_id, by=who.actor, verdict=body.verdict, notes=body.notes,
                         now_ms=clock.now_ms(), cleared_ms=body.cleared_ms)
    return _public(row, fleet.window_numbers(session))


@router.post("/{fault_id}/reclassify", response_model=FaultPublic)
def reclassify(fault_id: Id, body: ReclassifyIn, who: FaultWorker, session: SessionDep,
               clock: ClockDep) -> FaultPublic:
    row = faults.reclassify(session, fault_id, by=who.actor, verdict=body.verdict, reason=body.reason,
                            now_ms=clock.now_ms())
    return _public(row, fleet.window_numbers(session))

"""Monthly volume V (业务受理量, R3): import the business system's file; V with its source."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from host import volume
from host.api.deps import ClockDep, SessionDep
from host.api.limits import MAX_UPLOAD_BODY_BYTES
from host.api.routes.review_common import Reviewer, ReviewReader, month_param, window_id
from host.errors import Invalid

router = APIRouter(prefix="/volume", tags=["volume (R3)"])
# A month's export for a few hundred windows is a few KiB; 5 MiB is far beyond any real file.
MAX_UPLOAD = 5 * 1024 * 1024


class RowPublic(BaseModel):
    row: int
    window: str
    month: str
    volume: int


class RowErrorPublic(BaseModel):
    row: int
    column: str
    message: str


class ImportOut(BaseModel):
    filename: str
    stored: bool
    import_id: int | None
    rows: list[RowPublic]
    errors: list[RowErrorPublic]


class VolumeOut(BaseModel):
    window: str
    month: str
    volume: int | None
    source: str


@router.post("/import", response_model=ImportOut, status_code=status.HTTP_201_CREATED,
             max_body_size=MAX_UPLOAD_BODY_BYTES,
             responses={422: {"description": "bad rows: every one listed, nothing imported"}})
async def import_file(request: Request, who: Reviewer, session: SessionDep, clock: ClockDep,
                      filename: Annotated[str, Query(description="the file's name; .csv or .xlsx")],
                      preview: bool = False) -> ImportOut | JSONResponse:
    """The request body is the file itself (CSV or XLSX). Any bad row: nothing is imported,
    and the answer lists every bad row; ``preview=true`` checks without storing."""
    data = await request.body()
    if not data:
        raise Invalid("the request body is empty", "send the file's bytes as the body")
    if len(data) > MAX_UPLOAD:
        raise Invalid(f"the file is {len(data)} bytes; the limit is {MAX_UPLOAD}", "split it by month")
    try:
        report = volume.import_volume(session, filename, data, by=who.actor, now_ms=clock.now_ms(),
                                      preview=preview)
    except volume.VolumeImportError as exc:
        body = ImportOut(filename=filename, stored=False, import_id=None, rows=[],
                         errors=[RowErrorPublic(row=e.row, column=e.column, message=e.message)
                                 for e in exc.errors])
        return JSONResponse(status_code=422, content={
            "type": "about:blank#invalid", "title": "The volume file has errors; nothing was imported",
            "status": 422, "detail": exc.detail, "fix": exc.fix, **body.model_dump()})
    out = ImportOut(filename=report.filename, stored=report.stored, import_id=report.import_id,
                    rows=[RowPublic(row=r.row, window=r.window, month=r.month, volume=r.volume)
                          for r in report.rows],
                    errors=[RowErrorPublic(row=e.row, column=e.column, message=e.message)
                            for e in report.errors])
    if preview:
        return JSONResponse(status_code=200, content=out.model_dump())
    return out


@router.get("", response_model=VolumeOut)
def volume_for(who: ReviewReader, session: SessionDep, window: str, month: str) -> VolumeOut:
    """V of a window and month and its source: import, queue (counted sessions) or none."""
    wid = window_id(session, window, who)
    assert wid is not None
    v, source = volume.volume_for(session, wid, month_param(month))
    return VolumeOut(window=window, month=month, volume=v, source=source)

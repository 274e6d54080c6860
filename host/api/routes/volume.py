"""Monthly volume V (业务受理量, R3): import the business system's file; V with its source."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from host import volume
from host.api.deps import ClockDep, SessionDep
from host.api.limits import MAX_UPLOAD_BODY_BYTES
from host.api.params import MonthRequired
from host.api.routes.review_common import Reviewer, ReviewReader, window_id
from host.errors import Invalid
from host.volume.limits import MAX_ERRORS_SHOWN, MAX_FILE_BYTES

router = APIRouter(prefix="/volume", tags=["volume (R3)"])


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
    errors: list[RowErrorPublic] = Field(description=f"the first {MAX_ERRORS_SHOWN} errors")
    errors_total: int = Field(description="how many errors the file has in all")


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
    and the answer lists the bad rows (the first 100, and how many in all); ``preview=true``
    checks without storing. The file is read off the event loop, so the host keeps answering."""
    data = await request.body()
    if not data:
        raise Invalid("请求内容是空的", "把文件内容作为请求体发送")
    if len(data) > MAX_FILE_BYTES:
        raise Invalid(f"文件有 {len(data)} 字节，超过上限 {MAX_FILE_BYTES} 字节", "按月拆成几个文件分别导入")
    try:
        report = await run_in_threadpool(volume.import_volume, session, filename, data, by=who.actor,
                                         now_ms=clock.now_ms(), preview=preview)
    except volume.VolumeImportError as exc:
        body = ImportOut(filename=filename, stored=False, import_id=None, rows=[],
                         errors=[RowErrorPublic(row=e.row, column=e.column, message=e.message)
                                 for e in exc.errors], errors_total=exc.errors_total)
        return JSONResponse(status_code=422, content={
            "type": "about:blank#invalid", "title": "The volume file has errors; nothing was imported",
            "status": 422, "detail": exc.detail, "fix": exc.fix, **body.model_dump()})
    out = ImportOut(filename=report.filename, stored=report.stored, import_id=report.import_id,
                    rows=[RowPublic(row=r.row, window=r.window, month=r.month, volume=r.volume)
                          for r in report.rows],
                    errors=[RowErrorPublic(row=e.row, column=e.column, message=e.message)
                            for e in report.errors], errors_total=report.errors_total)
    if preview:
        return JSONResponse(status_code=200, content=out.model_dump())
    return out


@router.get("", response_model=VolumeOut)
def volume_for(who: ReviewReader, session: SessionDep, window: str, month: MonthRequired) -> VolumeOut:
    """V of a window and month and its source: import, queue (counted sessions) or none."""
    wid = window_id(session, window, who)
    assert wid is not None
    v, source = volume.volume_for(session, wid, month)
    return VolumeOut(window=window, month=month, volume=v, source=source)

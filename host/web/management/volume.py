"""管理科 · 业务受理量导入: the business system's monthly volume V (R3), checked (preview) or stored
all-or-nothing; the file is read off the event loop."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from host import volume
from host.api.limits import MAX_UPLOAD_BODY_BYTES
from host.errors import ServiceError
from host.volume.limits import MAX_FILE_BYTES
from host.web.core import DB, Viewer, render
from host.web.management.shared import Deciders, Reader

router = APIRouter(prefix="/management")


@router.get("/volume", response_class=HTMLResponse, include_in_schema=False)
def volume_page(request: Request, session: DB, viewer: Reader) -> HTMLResponse:
    return render(
        request,
        "management/volume.html",
        viewer,
        report=None,
        errors=None,
        imports=volume.list_imports(session)[:20],
    )


@router.post("/volume", response_class=HTMLResponse, include_in_schema=False,
             max_body_size=MAX_UPLOAD_BODY_BYTES)
async def volume_upload(
    request: Request, file: UploadFile, viewer: Deciders, preview: Annotated[str, Form()] = ""
) -> HTMLResponse:
    """业务受理量导入: check (preview) or store a CSV/Excel file; any bad row: nothing stored.
    The file is read off the event loop (a threadpool), so the host keeps answering meanwhile."""
    data = await file.read(MAX_FILE_BYTES + 1)
    name = file.filename or "upload"
    if not data:
        return await run_in_threadpool(_volume_result, request, viewer, name, None, [], 0,
                                       "文件为空，请选择业务系统导出的 CSV 或 Excel 文件。", False)
    if len(data) > MAX_FILE_BYTES:
        too_big = f"文件超过 {MAX_FILE_BYTES // 1024 // 1024} MB，请按月份拆分后再导入。"
        return await run_in_threadpool(_volume_result, request, viewer, name, None, [], 0, too_big, False)
    return await run_in_threadpool(_import_file, request, viewer, name, data, bool(preview))


def _import_file(request: Request, viewer: Viewer, name: str, data: bytes, preview: bool) -> HTMLResponse:
    report, errors, total, problem = None, [], 0, None
    with Session(request.app.state.engine) as session:
        try:
            report = volume.import_volume(session, name, data, by=viewer.principal.actor,
                                          now_ms=request.app.state.clock.now_ms(), preview=preview)
            errors, total = report.errors, report.errors_total
            if total:       # a preview with bad rows says so, exactly as the import would
                problem = (f"预览：文件有 {total} 处错误，见下表；这样导入将整份拒绝。"
                           "请在原文件中改正后重新上传。")
        except volume.VolumeImportError as exc:
            errors, total = list(exc.errors), exc.errors_total
            problem = f"文件有错误，未导入任何数据：共 {total} 处错误，见下表。请在原文件中改正后重新上传。"
        except ServiceError as exc:
            problem = f"无法读取文件：{exc.detail}"
    return _volume_result(request, viewer, name, report, errors, total, problem, preview)


def _volume_result(request: Request, viewer: Viewer, name: str, report: Any, errors: list[Any], total: int,
                   problem: str | None, preview: bool) -> HTMLResponse:
    with Session(request.app.state.engine) as session:
        imports = volume.list_imports(session)[:20]
    return render(request, "management/volume.html", viewer, report=report, errors=errors or None,
                  errors_total=total, errors_shown=len(errors), problem=problem, filename=name,
                  preview=preview, imports=imports, status_code=422 if problem else 200)

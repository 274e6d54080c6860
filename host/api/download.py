"""A printable sheet as a download (CSV or Excel), for the API's exports and the pages' alike."""

from __future__ import annotations

from fastapi.responses import Response

from host.errors import Invalid

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def check_format(fmt: str) -> None:
    if fmt not in ("csv", "xlsx"):
        raise Invalid(f"格式 {fmt!r} 不是 csv 或 xlsx", "请用 ?format=csv 或 ?format=xlsx")


def download(data: bytes, fmt: str, stem: str) -> Response:
    check_format(fmt)
    media = "text/csv; charset=utf-8" if fmt == "csv" else XLSX
    return Response(content=data, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'})

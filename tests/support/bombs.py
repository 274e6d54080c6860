"""Hostile volume files (业务受理量), built in memory: an .xlsx of very many rows that packs into a few
tens of KB, one that unpacks to hundreds of MB, the widest file the host still reads, a CSV of
very many rows. Written by hand (zipfile), the way an attacker would, not through openpyxl."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml"
PARTS = {
    "[Content_Types].xml": f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{CT}">'
    f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    f'<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{MAIN}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{MAIN}.worksheet+xml"/></Types>',
    "_rels/.rels": f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
    f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": f'<workbook xmlns="{NS}" xmlns:r="{REL}"><sheets>'
    f'<sheet name="受理量" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
    f'Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
}
HEADER = ("窗口号", "月份", "业务受理量")


def _text(v: str) -> str:
    return f'<c t="inlineStr"><is><t>{v}</t></is></c>'


def xlsx(rows: Iterator[str]) -> bytes:
    """An .xlsx whose only sheet has ``rows`` (each a ``<row>…</row>`` string) under the header."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, xml in PARTS.items():
            z.writestr(name, xml)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(f'<worksheet xmlns="{NS}"><sheetData>'.encode())
            f.write(("<row>" + "".join(_text(h) for h in HEADER) + "</row>").encode())
            batch: list[str] = []
            for row in rows:
                batch.append(row)
                if len(batch) == 10_000:
                    f.write("".join(batch).encode())
                    batch.clear()
            f.write("".join(batch).encode())
            f.write(b"</sheetData></worksheet>")
    return out.getvalue()


def many_rows_xlsx(n: int = 500_000, window: str = "A01", month: str = "2026-11") -> bytes:
    """The issue's bomb: n identical data rows; 500 000 of them pack into a few tens of KB."""
    row = "<row>" + _text(window) + _text(month) + "<c><v>1</v></c></row>"
    return xlsx(row for _ in range(n))


def unpacks_huge_xlsx(mb: int = 400) -> bytes:
    """One row whose cell holds ``mb`` MB of spaces: a classic zip bomb (under 1 MB packed)."""
    chunk = " " * (1024 * 1024)
    return xlsx(iter(["<row>" + _text("A01") + _text("2026-11") + '<c t="inlineStr"><is><t>'
                      + chunk * mb + "</t></is></c></row>"]))


def widest_allowed_xlsx(rows: int, filler: int = 30) -> bytes:
    """The heaviest file within the caps: ``rows`` rows, each with ``filler`` extra cells."""
    extra = "<c><v>0</v></c>" * filler
    return xlsx(f"<row>{_text('A01')}{_text('2026-11')}<c><v>{i}</v></c>{extra}</row>" for i in range(rows))


def many_rows_csv(n: int) -> bytes:
    return ("窗口号,月份,业务受理量\n" + "A01,2026-11,1\n" * n).encode()

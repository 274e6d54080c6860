"""CSV and Excel tables laid out for people: Chinese headers, and Excel ready to print.

Excel: a title row, the header frozen under it and repeated on every printed page, column
widths, A4 landscape fitted to one page wide, numbers kept exact with a 2-decimal display
(R2: rounded only when shown). CSV: UTF-8 with a BOM so Excel opens Chinese text correctly.

Text that people or pads wrote (a window's name, a fault report, a reason) can start like a
formula (``=HYPERLINK(…)``, ``+cmd|…``, ``@SUM``); a spreadsheet must show it, never run it.
Excel cells holding such text are stored as text with Excel's quote prefix (what typing ``'``
first does: shown as written, kept as text when edited); CSV cells get a leading ``'``. Plain
numbers (``-0.50``) are no formula and stay as they are.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

TWO_DECIMALS = "0.00"
CSV_ENCODING = "utf-8-sig"       # the BOM makes Excel read UTF-8, not the ANSI code page
TITLE_ROW, HEADER_ROW = 1, 2
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text)


def csv_text(text: str) -> str:
    """A CSV cell that no spreadsheet reads as a formula."""
    return "'" + text if looks_like_formula(text) else text


@dataclass(frozen=True, slots=True)
class Column:
    header: str                      # Chinese header, as printed
    width: float = 12                # Excel column width (characters; a CJK character counts ~2)
    number_format: str | None = None # e.g. TWO_DECIMALS for points


@dataclass(frozen=True, slots=True)
class Table:
    title: str
    sheet: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Any]]    # Excel values (numbers stay numbers)
    csv_rows: Sequence[Sequence[str]] | None = None   # how CSV shows them (default: str of rows)


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([c.header for c in table.columns])
    rows = table.csv_rows if table.csv_rows is not None else [
        ["" if v is None else str(v) for v in r] for r in table.rows]
    w.writerows([csv_text(c) for c in row] for row in rows)
    return out.getvalue().encode(CSV_ENCODING)


def add_sheet(wb: Any, table: Table, first: bool = False) -> Any:
    """Write ``table`` as a printable sheet of workbook ``wb`` (openpyxl)."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    ws = wb.active if first else wb.create_sheet()
    ws.title = table.sheet[:31]                 # Excel's limit on sheet names
    n = max(1, len(table.columns))
    ws.cell(row=TITLE_ROW, column=1, value=table.title).font = Font(bold=True, size=14)
    ws.cell(row=TITLE_ROW, column=1).alignment = Alignment(horizontal="center", vertical="center")
    if n > 1:
        ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=n)
    ws.row_dimensions[TITLE_ROW].height = 24
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    fill = PatternFill("solid", fgColor="DDE4EE")
    for i, col in enumerate(table.columns, start=1):
        cell = ws.cell(row=HEADER_ROW, column=i, value=col.header)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.border = border
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(i)].width = col.width
    for r, values in enumerate(table.rows, start=HEADER_ROW + 1):
        for i, (col, v) in enumerate(zip(table.columns, values, strict=True), start=1):
            cell = ws.cell(row=r, column=i, value=v)
            cell.border = border
            if isinstance(v, str) and looks_like_formula(v):
                cell.data_type = "s"          # openpyxl made "=…" a formula: text it is
                cell.quotePrefix = True
            if col.number_format and isinstance(v, int | float):
                cell.number_format = col.number_format
                cell.alignment = Alignment(horizontal="right")
            elif isinstance(v, str) and len(v) > col.width:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0            # as many pages tall as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    return ws


def to_xlsx(*tables: Table) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    for i, t in enumerate(tables):
        add_sheet(wb, t, first=i == 0)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

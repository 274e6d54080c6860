"""Read the business system's monthly volume export (业务受理量, R3): CSV or Excel.

Headers may be Chinese or English: 窗口号/window, 月份/month, 业务受理量/volume (a few
common variants too). Every problem is reported per row, with its row number as the
spreadsheet shows it (the header is row 1) and what to fix. Pure: no database; the
window numbers are checked by the caller (host.volume.store).

Files are read as a stream (openpyxl read-only) and refused, in Chinese, past the limits of
host.volume.limits: an .xlsx is a zip, and a few hundred KB can unpack into millions of rows.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from host.volume.limits import MAX_ROWS, MAX_UNPACKED_BYTES

MB = 1024 * 1024

WINDOW, MONTH, VOLUME = "window", "month", "volume"
HEADERS = {
    WINDOW: ("窗口号", "窗口编号", "窗口", "window", "window_no", "window number"),
    MONTH: ("月份", "月", "month"),
    VOLUME: ("业务受理量", "受理量", "业务量", "volume"),
}
HEADER_CHINESE = {WINDOW: "窗口号", MONTH: "月份", VOLUME: "业务受理量"}
# CSV from Chinese Excel is often GB18030 (a superset of GBK); UTF-8 (with or without BOM) first.
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
# A window accepting more than this in a month is a typo (a 5-day week of 24 h at one case
# a minute is ~ 30 000); refuse it rather than score on it.
MAX_VOLUME = 100_000
_MONTH_PATTERNS = (re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})$"),
                   re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月?$"),
                   re.compile(r"^(\d{4})(\d{2})$"))


class VolumeFileError(ValueError):
    """The file as a whole cannot be read (format, encoding, headers)."""


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"第{self.row}行"
        return f"{where}“{self.column}”{self.message}" if self.column else f"{where}：{self.message}"


@dataclass(frozen=True, slots=True)
class VolumeRow:
    row: int
    window: str            # the window's number as written (e.g. "A07")
    month: str             # normalised "YYYY-MM"
    volume: int


def _norm(h: Any) -> str:
    return re.sub(r"\s+", " ", str(h or "")).strip().lower()


def _columns(header: Sequence[Any]) -> dict[str, int]:
    names = [_norm(h) for h in header]
    found: dict[str, int] = {}
    for key, aliases in HEADERS.items():
        for i, n in enumerate(names):
            if n in {a.lower() for a in aliases}:
                found.setdefault(key, i)
    missing = [HEADER_CHINESE[k] for k in HEADERS if k not in found]
    if missing:
        raise VolumeFileError(
            f"表头缺少“{'”“'.join(missing)}”列"
            f"（找到的是：{'、'.join(str(h) for h in header if h) or '空'}）。"
            "请把第一行写成列名：窗口号、月份、业务受理量")
    return found


def _rows_csv(data: bytes) -> Iterator[list[Any]]:
    for enc in CSV_ENCODINGS:
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes nearly anything
        raise VolumeFileError("CSV 文件既不是 UTF-8 也不是 GB18030 编码。"
                              "请在 Excel 中另存为“CSV UTF-8”后重试")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    yield from csv.reader(io.StringIO(text), dialect)


def _unpacked_bytes(data: bytes) -> int:
    """What an .xlsx (a zip) unpacks to, by its own directory (Python never unpacks more)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, ValueError):
        return 0                                    # not a zip: openpyxl says so below


def _rows_xlsx(data: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    unpacked = _unpacked_bytes(data)
    if unpacked > MAX_UNPACKED_BYTES:
        raise VolumeFileError(
            f"文件解压后有 {unpacked / MB:.0f} MB，超过上限 {MAX_UNPACKED_BYTES // MB} MB，不像业务系统导出的"
            "受理量表。请只导出窗口号、月份、业务受理量三列，必要时按月份拆分后再导入。")
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a non-workbook
        raise VolumeFileError("文件无法作为 Excel 工作簿读取（可能已损坏或并非 Excel 文件）。"
                              "请在 Excel 中另存为 .xlsx 格式后重试") from exc
    try:
        ws = wb.worksheets[0]
        for r in ws.iter_rows(values_only=True):
            yield list(r)
    finally:
        wb.close()


def _capped(rows: Iterator[list[Any]]) -> Iterator[list[Any]]:
    for n, row in enumerate(rows, start=1):
        if n > MAX_ROWS + 1:                         # + the header
            raise VolumeFileError(
                f"文件超过 {MAX_ROWS} 行，已停止读取：一个月的受理量表只有几百行。"
                "请检查是否导出了错误的表，或按月份拆分后再导入。")
        yield row


def read_table(name: str, data: bytes) -> Iterator[list[Any]]:
    """The file's rows as lists of cells, read as they are needed, by its extension (.csv, .xlsx/.xlsm)."""
    ext = Path(name).suffix.lower()
    if ext == ".csv":
        return _capped(_rows_csv(data))
    if ext in (".xlsx", ".xlsm"):
        return _capped(_rows_xlsx(data))
    raise VolumeFileError(f"不支持的文件类型“{ext or '无扩展名'}”。请上传 .csv 或 .xlsx 文件"
                          "（旧版 .xls 请先另存为 .xlsx）")


def _month(v: Any) -> str | None:
    if isinstance(v, datetime | date):
        return f"{v.year:04d}-{v.month:02d}"
    text = str(v).strip()
    for p in _MONTH_PATTERNS:
        m = p.match(text)
        if m and 1 <= int(m.group(2)) <= 12:
            return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
    return None


def _volume(v: Any) -> int | str:
    """An int, or why not."""
    if isinstance(v, bool):
        return "不是数字，请填写受理件数（整数）"
    if isinstance(v, int):
        n = v
    elif isinstance(v, float):
        if not v.is_integer():
            return f"为 {v:g}，不是整数，请填写受理件数（整数）"
        n = int(v)
    else:
        text = str(v).strip().replace(",", "").replace("，", "")
        if not re.fullmatch(r"[+-]?\d+(\.0+)?", text):
            return f"为“{str(v).strip()}”，不是整数，请填写受理件数（整数，如 120）"
        n = int(float(text))
    if n < 0:
        return f"为 {n}，是负数，请填写 0 或更大的整数"
    if n > MAX_VOLUME:
        return f"为 {n}，超过每月 {MAX_VOLUME} 件的上限，请检查是否多打了数字"
    return n


def _window(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)                                     # Excel turns "12" into 12.0
    return str(v).strip()


def parse_rows(table: Iterable[Sequence[Any]]) -> tuple[list[VolumeRow], list[RowError]]:
    """Rows and row-level errors of a volume table whose first non-empty row is the header."""
    it = iter(enumerate(table, start=1))
    for _, header in it:
        if any(_norm(c) for c in header):
            break
    else:
        raise VolumeFileError("文件是空的。第一行应为列名（窗口号、月份、业务受理量），其下每行一个窗口")
    cols = _columns(header)
    rows: list[VolumeRow] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, str], int] = {}
    for n, cells in it:
        if not any(_norm(c) for c in cells):
            continue                                   # blank lines are not data
        def cell(key: str, cells: Sequence[Any] = cells) -> Any:
            i = cols[key]
            return cells[i] if i < len(cells) else None
        bad = False
        raw_w, raw_m, raw_v = cell(WINDOW), cell(MONTH), cell(VOLUME)
        for key, raw in ((WINDOW, raw_w), (MONTH, raw_m), (VOLUME, raw_v)):
            if raw is None or not str(raw).strip():
                errors.append(RowError(n, HEADER_CHINESE[key], "为空，请填写或删除该行"))
                bad = True
        if bad:
            continue
        month = _month(raw_m)
        if month is None:
            errors.append(RowError(n, "月份", f"为“{str(raw_m).strip()}”，不是月份，请写成 2026-10 的形式"))
            bad = True
        vol = _volume(raw_v)
        if isinstance(vol, str):
            errors.append(RowError(n, "业务受理量", vol))
            bad = True
        if bad or month is None or isinstance(vol, str):
            continue
        window = _window(raw_w)
        first = seen.setdefault((window, month), n)
        if first != n:
            errors.append(RowError(n, "窗口号", f"窗口 {window} 的 {month} 已在第{first}行出现，"
                                   "每个窗口每月只保留一行"))
            continue
        rows.append(VolumeRow(n, window, month, vol))
    return rows, errors

"""Monthly volume V (R3): imports from CSV and Excel, all or nothing, and queue-counted volume."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import func
from sqlmodel import Session, select

from host import volume
from host.errors import Invalid
from host.models.audit import AuditEntry
from host.models.months import MonthAction
from host.models.volume import MonthlyVolume, VolumeImport
from tests.review.conftest import sh
from tests.review.facts import Hall

NOW = sh(2026, 11, 3, 10, 0)


def count(db: Session, model: type) -> int:
    return int(db.exec(select(func.count()).select_from(model)).one())


def xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def windows(hall: Hall) -> dict[str, int]:
    return {n: hall.window(n) for n in ("A07", "A08", "12")}


def test_r3_csv_with_chinese_headers_imports_with_audit(db: Session, windows: dict[str, int]) -> None:
    data = '窗口号,月份,业务受理量\nA07,2026-10,80\nA08,2026年10月,"1,250"\n\n12,2026/10,0\n'.encode()
    report = volume.import_volume(db, "十月受理量.csv", data, by="mgmt-wang", now_ms=NOW)
    assert report.stored and report.errors == []
    assert [(r.row, r.window, r.month, r.volume) for r in report.rows] == [
        (2, "A07", "2026-10", 80),
        (3, "A08", "2026-10", 1250),
        (5, "12", "2026-10", 0),
    ]
    assert volume.volume_for(db, windows["A07"], "2026-10") == (80, "import")
    assert volume.volume_for(db, windows["A08"], "2026-10") == (1250, "import")
    assert volume.volume_for(db, windows["12"], "2026-10") == (0, "import")
    assert volume.volume_for(db, windows["A07"], "2026-11") == (None, "none")
    batch = db.exec(select(VolumeImport)).one()
    assert (batch.imported_by, batch.filename, batch.rows, batch.imported_ms) == (
        "mgmt-wang",
        "十月受理量.csv",
        3,
        NOW,
    )
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "volume.import")).one()
    assert entry.actor == "mgmt-wang" and entry.detail["months"] == ["2026-10"]


def test_r3_xlsx_with_english_headers_and_one_bad_row_imports_nothing(
    db: Session, windows: dict[str, int]
) -> None:
    data = xlsx(
        [
            ["Window", "Month", "Volume"],
            ["A07", datetime(2026, 10, 1), 80],
            ["A08", "2026-10", 12.5],  # row 3: not a whole number
            [12, "2026-10", 40.0],
        ]
    )  # Excel numbers are fine when whole
    with pytest.raises(volume.VolumeImportError) as err:
        volume.import_volume(db, "oct.xlsx", data, by="mgmt", now_ms=NOW)
    assert [(e.row, e.column) for e in err.value.errors] == [(3, "业务受理量")]
    assert "第3行" in str(err.value) and "未导入任何数据" in str(err.value)
    assert count(db, MonthlyVolume) == 0 and count(db, VolumeImport) == 0
    # Preview lists what would be stored and every error, and stores nothing either.
    preview = volume.import_volume(db, "oct.xlsx", data, by="mgmt", now_ms=NOW, preview=True)
    assert not preview.stored
    assert [(r.row, r.window, r.volume) for r in preview.rows] == [(2, "A07", 80), (4, "12", 40)]
    assert count(db, MonthlyVolume) == 0
    # Fixed file: stored.
    fixed = xlsx([["Window", "Month", "Volume"], ["A07", datetime(2026, 10, 1), 80], ["12", "2026-10", 40]])
    assert volume.import_volume(db, "oct.xlsx", fixed, by="mgmt", now_ms=NOW).stored
    assert volume.volume_for(db, windows["12"], "2026-10") == (40, "import")


def test_r3_every_kind_of_bad_row_is_reported_with_its_row(db: Session, windows: dict[str, int]) -> None:
    data = (
        b"window,month,volume\n"
        b"A07,2026-10,80\n"  # 2 ok
        b"A99,2026-10,5\n"  # 3 unknown window
        b"A08,2026-13,5\n"  # 4 bad month
        b"A08,2026-10,-1\n"  # 5 negative
        b",2026-10,5\n"  # 6 empty window
        b"A07,2026-10,81\n"  # 7 duplicate of row 2
        b"12,2026-10,abc\n"
    )  # 8 not a number
    with pytest.raises(volume.VolumeImportError) as err:
        volume.import_volume(db, "bad.csv", data, by="mgmt", now_ms=NOW)
    got = [(e.row, e.column) for e in err.value.errors]
    assert got == [
        (3, "窗口号"),
        (4, "月份"),
        (5, "业务受理量"),
        (6, "窗口号"),
        (7, "窗口号"),
        (8, "业务受理量"),
    ]
    msgs = {e.row: e.message for e in err.value.errors}
    assert "没有这个窗口" in msgs[3] and "2026-10" in msgs[4] and "第2行" in msgs[7]
    assert count(db, MonthlyVolume) == 0


def test_r3_file_level_problems(db: Session, windows: dict[str, int]) -> None:
    with pytest.raises(Invalid, match="缺少“业务受理量”列"):
        volume.import_volume(db, "x.csv", "窗口号,月份\nA07,2026-10\n".encode(), by="m", now_ms=NOW)
    with pytest.raises(Invalid, match=r"\.xls"):
        volume.import_volume(db, "x.xls", b"\xd0\xcf\x11\xe0", by="m", now_ms=NOW)
    with pytest.raises(Invalid, match="无法作为 Excel 工作簿读取"):
        volume.import_volume(db, "x.xlsx", b"not a zip", by="m", now_ms=NOW)
    with pytest.raises(Invalid, match="文件是空的"):
        volume.import_volume(db, "x.csv", b"\n\n", by="m", now_ms=NOW)
    with pytest.raises(Invalid, match="没有数据行"):
        volume.import_volume(db, "x.csv", "窗口号,月份,业务受理量\n".encode(), by="m", now_ms=NOW)
    # A CSV saved by Chinese Excel in GB18030 reads as well.
    gbk = "窗口号,月份,业务受理量\nA07,2026-10,7\n".encode("gb18030")
    assert volume.import_volume(db, "gbk.csv", gbk, by="m", now_ms=NOW).stored


def test_r3_newer_import_supersedes_and_closed_month_refuses(db: Session, windows: dict[str, int]) -> None:
    volume.import_volume(db, "a.csv", b"window,month,volume\nA07,2026-10,80\n", by="m", now_ms=NOW)
    volume.import_volume(db, "b.csv", b"window,month,volume\nA07,2026-10,90\n", by="m", now_ms=NOW + 1)
    assert volume.volume_for(db, windows["A07"], "2026-10") == (90, "import")
    assert count(db, MonthlyVolume) == 2  # both kept (R12)
    db.add(MonthAction(month="2026-10", action="close", at_ms=NOW + 2, by="m"))
    db.commit()
    with pytest.raises(volume.VolumeImportError) as err:
        volume.import_volume(
            db, "c.csv", b"window,month,volume\nA07,2026-10,95\nA08,2026-09,3\n", by="m", now_ms=NOW + 3
        )
    assert [(e.row, e.column) for e in err.value.errors] == [(2, "月份")]
    assert "已关账" in err.value.errors[0].message
    assert volume.volume_for(db, windows["A07"], "2026-10") == (90, "import")


def test_r3_volume_counted_from_queue_sessions(db: Session, hall: Hall, windows: dict[str, int]) -> None:
    w = windows["A08"]
    for i in range(5):
        hall.service(w, f"T{i}", sh(2026, 10, 12, 9, i), sh(2026, 10, 12, 9, i, 30))
    hall.service(w, "SEP", sh(2026, 9, 30, 23, 59, 59), sh(2026, 10, 1, 0, 5))  # September in Shanghai
    hall.service(w, "NOV", sh(2026, 11, 1, 0, 0), None)  # November
    assert volume.volume_for(db, w, "2026-10") == (5, "queue")
    assert volume.volume_for(db, w, "2026-12") == (0, "queue")  # connected, nobody served
    assert volume.volume_for(db, windows["A07"], "2026-10") == (None, "none")
    volume.import_volume(db, "oct.csv", b"window,month,volume\nA08,2026-10,7\n", by="m", now_ms=NOW)
    assert volume.volume_for(db, w, "2026-10") == (7, "import")  # the business system's figure wins

"""Exports opened back with csv and openpyxl and checked cell by cell: the monthly report,
the fault log, the violation review list (Chinese headers, Excel laid out for printing)."""

from __future__ import annotations

import csv
import io
from fractions import Fraction

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from host import exports, faults, violations
from host.rules.score import month_score
from host.rules.types import Deduction, Span, deduction_key
from tests.review.conftest import sh
from tests.review.facts import Hall

MONTH = "2026-10"
NAMES = {1: "A01 公安分局出入境", 2: "A02 社保", 3: "A03 税务"}


def scores() -> list:
    closure = Deduction(
        kind="closure",
        points=Fraction(1),
        rule="R5",
        span=Span(sh(2026, 10, 12, 9, 0), sh(2026, 10, 12, 9, 30)),
        detail="off 09:00-09:30",
    )
    waived = Deduction(
        kind="closure",
        points=Fraction(1),
        rule="R5",
        span=Span(sh(2026, 10, 13, 9, 0), sh(2026, 10, 13, 9, 30)),
        waiver="R7: pad fault #4",
    )
    return [
        # rules.md example 1: V=80, N=40, S=36 -> 4.5 - 1 = 3.50
        month_score(1, MONTH, volume=80, volume_source="import", valid=40, satisfied=36),
        # example 4: not rated
        month_score(2, MONTH, volume=0, volume_source="queue", valid=0, satisfied=0),
        # example 2 with a third of a point: V=250, N=120, S=119 -> 4.958.. - 1 closure (one waived)
        month_score(
            3,
            MONTH,
            volume=250,
            volume_source="import",
            valid=120,
            satisfied=119,
            deductions=[closure, waived],
        ),
    ]


def test_month_report_csv_cell_by_cell() -> None:
    rows = list(csv.reader(io.StringIO(exports.month_report_csv(scores(), NAMES, MONTH).decode("utf-8-sig"))))
    assert rows[0] == [
        "排名",
        "窗口",
        "月份",
        "业务受理量",
        "受理量来源",
        "标准数",
        "有效评价数",
        "满意数",
        "基础分",
        "评价数不足扣分",
        "无故关闭扣分",
        "违规扣分",
        "已减免",
        "最终得分",
    ]
    assert rows[1] == [
        "1",
        "A03 税务",
        MONTH,
        "250",
        "业务系统导入",
        "100",
        "120",
        "119",
        "4.96",
        "0.00",
        "1.00",
        "0.00",
        "1.00",
        "3.96",
    ]
    assert rows[2] == [
        "2",
        "A01 公安分局出入境",
        MONTH,
        "80",
        "业务系统导入",
        "48",
        "40",
        "36",
        "4.50",
        "1.00",
        "0.00",
        "0.00",
        "0.00",
        "3.50",
    ]
    assert rows[3] == [
        "—",
        "A02 社保",
        MONTH,
        "0",
        "叫号系统计数",
        "0",
        "0",
        "0",
        "—",
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "—",
    ]
    assert len(rows) == 4


def test_month_report_xlsx_is_laid_out_for_printing_with_exact_values() -> None:
    wb = load_workbook(io.BytesIO(exports.month_report_xlsx(scores(), NAMES, MONTH)))
    assert wb.sheetnames == ["月度考核", "扣分明细"]
    ws = wb["月度考核"]
    assert ws["A1"].value == f"{MONTH} 窗口服务质量电子评价月度考核表"
    assert "A1:N1" in {str(r) for r in ws.merged_cells.ranges}
    assert [c.value for c in ws[2]][:3] == ["排名", "窗口", "月份"] and ws["N2"].value == "最终得分"
    assert ws.freeze_panes == "A3"
    assert ws.print_title_rows == "$2:$2"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9  # A4
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.column_dimensions["B"].width == 24
    # Exact values (to Excel's 15 digits), 2-decimal display (R2): 5 × 119/120 = 4.958333...
    assert ws["I3"].value == pytest.approx(float(Fraction(119 * 5, 120)), rel=1e-15, abs=0)
    assert ws["N3"].value == pytest.approx(float(Fraction(119 * 5, 120) - 1), rel=1e-15, abs=0)
    assert ws["N3"].value != 3.96 and ws["N3"].number_format == ws["I3"].number_format == "0.00"
    assert [ws.cell(row=4, column=c).value for c in range(1, 15)] == [
        2,
        "A01 公安分局出入境",
        MONTH,
        80,
        "业务系统导入",
        48,
        40,
        36,
        4.5,
        1.0,
        0.0,
        0.0,
        0.0,
        3.5,
    ]
    assert ws["A5"].value == "—" and ws["I5"].value == "—" and ws["N5"].value == "—"
    assert ws.max_row == 5
    detail = wb["扣分明细"]
    lines = [[c.value for c in row] for row in detail.iter_rows(min_row=3)]
    assert [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in lines] == [
        ("A01 公安分局出入境", "有效评价数不足标准数", "R4", None, 1.0, "计入"),
        ("A03 税务", "无故关闭评价器", "R5", "2026-10-12 09:00:00", 1.0, "计入"),
        ("A03 税务", "无故关闭评价器", "R5", "2026-10-13 09:00:00", 1.0, "已减免"),
    ]
    assert lines[2][6] == "R7: pad fault #4"
    # The key a management waiver needs (R8) is on the line.
    assert lines[1][9] == deduction_key(3, MONTH, scores()[2].deductions[0])


def test_fault_log_and_violations_exports(db: Session, hall: Hall) -> None:
    w = hall.window("A07", device="qp-0107", name="社保")
    f = faults.report_fault(db, by="staff-li", detail="屏幕不亮", now_ms=sh(2026, 10, 12, 9, 0), window_id=w)
    faults.acknowledge(db, f.id or 0, by="it-wu", assignee="it-chen", now_ms=sh(2026, 10, 12, 9, 10))
    faults.resolve(
        db, f.id or 0, by="it-chen", verdict="pad_fault", notes="换屏", now_ms=sh(2026, 10, 12, 10, 30)
    )
    names = {w: "A07 社保"}
    rows = list(
        csv.reader(io.StringIO(exports.fault_log_csv(faults.list_faults(db), names).decode("utf-8-sig")))
    )
    assert rows[0][:6] == ["编号", "来源", "评价器", "窗口", "故障代码", "状态"]
    assert rows[1][:15] == [
        str(f.id),
        "人工报修",
        "qp-0107",
        "A07 社保",
        "人工报修",
        "已修复",
        "2026-10-12 09:00",
        "2026-10-12 10:30",
        "2026-10-12 09:00",
        "2026-10-12 09:10",
        "2026-10-12 10:30",
        "90",
        "it-chen",
        "评价器故障",
        "0",
    ]
    ws = load_workbook(io.BytesIO(exports.fault_log_xlsx(faults.list_faults(db), names))).active
    assert ws["A1"].value == "评价器报修记录" and ws["A2"].value == "编号" and ws["L3"].value == 90
    assert ws.freeze_panes == "A3" and ws.page_setup.orientation == "landscape"

    hall.service(w, "A1", sh(2026, 10, 12, 9, 0), sh(2026, 10, 12, 9, 5))
    hall.event("qp-0107", w, "prompt", sh(2026, 10, 12, 9, 5), svc="A1", source="host")
    cancel = hall.event("qp-0107", w, "prompt_end", sh(2026, 10, 12, 9, 5, 3), svc="A1", reason="cancelled")
    now = sh(2026, 11, 1, 9, 0)
    violations.detect(db, w, MONTH, working=None, now_ms=now)
    c = violations.list_candidates(db, window_id=w)[0]
    violations.confirm(db, c.id or 0, reviewer="mgmt-wang", reason="投诉单 17", now_ms=now)
    cands = violations.list_candidates(db, window_id=w)
    newest = {x.id: violations.decisions_of(db, x.id)[-1] for x in cands if x.id is not None}
    rows = list(csv.reader(io.StringIO(exports.violations_csv(cands, names, newest).decode("utf-8-sig"))))
    assert rows[0] == [
        "编号",
        "窗口",
        "类型",
        "分值",
        "时间",
        "依据",
        "证据事件",
        "状态",
        "来源",
        "审核人",
        "审核时间",
        "审核理由",
        "说明",
    ]
    assert rows[1][:12] == [
        str(c.id),
        "A07 社保",
        "拒绝评议",
        "2.50",
        "2026-10-12 09:05",
        "评价提示被取消",
        f"{cancel - 1} {cancel}",
        "已确认",
        "系统检测",
        "mgmt-wang",
        "2026-11-01 09:00",
        "投诉单 17",
    ]
    ws = load_workbook(io.BytesIO(exports.violations_xlsx(cands, names, newest))).active
    assert ws["C3"].value == "拒绝评议" and ws["D3"].value == 2.5 and ws["D3"].number_format == "0.00"

"""The IT section's fault log (报修记录, R7) and the violation review list (R6) as CSV and Excel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from host import labels
from host.clock import local
from host.exports.sheet import TWO_DECIMALS, Column, Table, to_csv, to_xlsx
from host.models.faults import Fault
from host.models.review import ViolationCandidate, ViolationDecision
from host.rules import violations as rules
from host.rules.score import shown

if TYPE_CHECKING:       # host.violations writes its export with these: no import cycle
    from host.violations.detect import Unjudged

SOURCE_CHINESE = labels.FAULT_SOURCE
STATUS_CHINESE = labels.FAULT_STATUS
VERDICT_CHINESE = labels.FAULT_VERDICT
REVIEW_CHINESE = labels.VIOLATION_STATUS
MINUTE_MS = 60_000

FAULT_COLUMNS = (
    Column("编号", 6), Column("来源", 10), Column("评价器", 12), Column("窗口", 20), Column("故障代码", 14),
    Column("状态", 8), Column("开始时间", 17), Column("结束时间", 17), Column("报修时间", 17),
    Column("受理时间", 17), Column("修复时间", 17), Column("修复用时(分钟)", 10), Column("负责人", 10),
    Column("结论", 11), Column("重复次数", 8), Column("说明", 30), Column("维修记录", 40),
)
VIOLATION_COLUMNS = (
    Column("编号", 6), Column("窗口", 20), Column("类型", 16), Column("分值", 6, TWO_DECIMALS),
    Column("时间", 17), Column("依据", 22), Column("证据事件", 16), Column("状态", 8), Column("来源", 8),
    Column("审核人", 10), Column("审核时间", 17), Column("审核理由", 36), Column("说明", 40),
)

UNJUDGED_COLUMNS = (Column("窗口", 20), Column("业务号", 16), Column("开始时间", 17), Column("办结时间", 17),
                    Column("说明", 60))
UNJUDGED_WHY = "评价器在断网期间开关机，那几次开机没有取得时间，无法确定提示时刻（R10），不判未提示评价（R6）"


def _t(ms: int | None) -> str:
    return f"{local(ms):%Y-%m-%d %H:%M}" if ms is not None else ""


def fault_table(faults: Sequence[Fault], names: Mapping[int, str], title: str = "评价器报修记录") -> Table:
    rows = []
    for f in faults:
        repair = round((f.resolved_ms - f.opened_ms) / MINUTE_MS) if f.resolved_ms is not None else ""
        pad = f.device_id or "、".join(f.devices)
        rows.append([f.id, SOURCE_CHINESE.get(f.source, f.source), pad,
                     names.get(f.window_id, f"#{f.window_id}") if f.window_id is not None else "",
                     labels.fault_code(f.code), STATUS_CHINESE.get(f.status, f.status),
                     _t(f.started_ms), _t(f.cleared_ms),
                     _t(f.opened_ms), _t(f.acknowledged_ms), _t(f.resolved_ms), repair, f.assignee or "",
                     VERDICT_CHINESE.get(f.verdict, "") if f.verdict else "", f.repeats, f.detail,
                     f.repair_notes])
    return Table(title, "报修记录", FAULT_COLUMNS, rows)


def fault_log_csv(faults: Sequence[Fault], names: Mapping[int, str]) -> bytes:
    return to_csv(fault_table(faults, names))


def fault_log_xlsx(faults: Sequence[Fault], names: Mapping[int, str], title: str = "评价器报修记录") -> bytes:
    return to_xlsx(fault_table(faults, names, title))


def violation_table(candidates: Sequence[ViolationCandidate], names: Mapping[int, str],
                    decisions: Mapping[int, ViolationDecision], title: str = "违规评价审核表") -> Table:
    """``decisions``: candidate id -> its newest decision."""
    rows, csv_rows = [], []
    for c in candidates:
        d = decisions.get(c.id) if c.id is not None else None
        head = [c.id, names.get(c.window_id, f"#{c.window_id}"), rules.CHINESE.get(c.kind, c.kind)]
        why = "、".join(labels.VIOLATION_REASON.get(r, r) for r in c.reasons)
        tail = [_t(c.at_ms), why, " ".join(str(e) for e in c.evidence),
                REVIEW_CHINESE.get(c.status, c.status), labels.VIOLATION_SOURCE.get(c.source, c.source),
                d.reviewer if d else "",
                _t(d.decided_ms) if d else "", d.reason if d else "", c.detail]
        points = rules.POINTS.get(c.kind)
        rows.append([*head, float(points) if points is not None else "", *tail])
        csv_rows.append([str(v) for v in head] + [shown(points) if points is not None else "",
                                                  *(str(v) for v in tail)])
    return Table(title, "违规审核", VIOLATION_COLUMNS, rows, csv_rows)


def violations_csv(candidates: Sequence[ViolationCandidate], names: Mapping[int, str],
                   decisions: Mapping[int, ViolationDecision]) -> bytes:
    return to_csv(violation_table(candidates, names, decisions))


def unjudged_table(sessions: Sequence[Unjudged], names: Mapping[int, str]) -> Table:
    """The sessions not judged for their prompt (无法核对, host.violations.unjudged_sessions)."""
    rows = [[names.get(u.window_id, f"#{u.window_id}"), u.ticket, _t(u.started_ms), _t(u.ended_ms),
             UNJUDGED_WHY] for u in sessions]
    return Table("无法核对是否提示评价的业务", "无法核对", UNJUDGED_COLUMNS, rows)


def violations_xlsx(candidates: Sequence[ViolationCandidate], names: Mapping[int, str],
                    decisions: Mapping[int, ViolationDecision], title: str = "违规评价审核表",
                    unjudged: Sequence[Unjudged] = ()) -> bytes:
    """The review list, and a sheet of the sessions not judged when there are any."""
    extra = [unjudged_table(unjudged, names)] if unjudged else []
    return to_xlsx(violation_table(candidates, names, decisions, title), *extra)

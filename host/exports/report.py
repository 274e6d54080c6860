"""The monthly report (R2-R4, R8, R9) as CSV and Excel: one row per window, and every
deduction line with its rule, evidence and waiver (waived lines shown, marked, never hidden).

Takes the scorer's ``MonthScore`` list (host.scoring) and window names; computes nothing
but sums of the lines and the ranking (host.rules.score.ranks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

from host import labels
from host.clock import local
from host.exports.sheet import TWO_DECIMALS, Column, Table, to_csv, to_xlsx
from host.rules.score import ranks, shown
from host.rules.types import MonthScore, deduction_key

NOT_RATED = "—"                     # R9
SOURCE_CHINESE = labels.VOLUME_SOURCE
KIND_CHINESE = labels.DEDUCTION
VIOLATION_KINDS = ("no_prompt", "refused", "consecutive", "self_eval")

SUMMARY_COLUMNS = (
    Column("排名", 6), Column("窗口", 24), Column("月份", 9), Column("业务受理量", 10),
    Column("受理量来源", 13), Column("标准数", 8), Column("有效评价数", 10), Column("满意数", 8),
    Column("基础分", 9, TWO_DECIMALS), Column("评价数不足扣分", 12, TWO_DECIMALS),
    Column("无故关闭扣分", 12, TWO_DECIMALS), Column("违规扣分", 10, TWO_DECIMALS),
    Column("已减免", 9, TWO_DECIMALS), Column("最终得分", 10, TWO_DECIMALS),
)
DETAIL_COLUMNS = (
    Column("窗口", 24), Column("类型", 14), Column("规则", 6), Column("时间", 18),
    Column("扣分", 7, TWO_DECIMALS), Column("是否计入", 9), Column("减免原因", 36), Column("证据", 18),
    Column("说明", 48), Column("扣分编号", 30),
)


def _sum(score: MonthScore, kinds: Sequence[str], counting: bool = True) -> Fraction:
    return sum((d.points for d in score.deductions if d.kind in kinds and d.counts == counting), Fraction(0))


def _num(x: Fraction | None) -> float | str:
    return NOT_RATED if x is None else float(x)


def _name(window_id: int, names: Mapping[int, str]) -> str:
    return names.get(window_id, f"#{window_id}")


def summary_table(scores: Sequence[MonthScore], names: Mapping[int, str], month: str) -> Table:
    order = ranks({s.window_id: s.final for s in scores})
    ordered = sorted(scores, key=lambda s: (order.get(s.window_id) is None, order.get(s.window_id, 0),
                                            _name(s.window_id, names)))
    rows, csv_rows = [], []
    for s in ordered:
        parts = (_sum(s, ("shortfall",)), _sum(s, ("closure",)), _sum(s, VIOLATION_KINDS),
                 sum((d.points for d in s.deductions if not d.counts), Fraction(0)))
        rank = order.get(s.window_id)
        head = [rank if rank is not None else NOT_RATED, _name(s.window_id, names), s.month,
                s.volume if s.volume is not None else "",
                SOURCE_CHINESE.get(s.volume_source, s.volume_source), s.standard, s.valid, s.satisfied]
        rows.append([*head, _num(s.base), *(float(p) for p in parts), _num(s.final)])
        csv_rows.append([str(v) for v in head] + [shown(s.base), *(shown(p) for p in parts), shown(s.final)])
    return Table(f"{month} 窗口服务质量电子评价月度考核表", "月度考核", SUMMARY_COLUMNS, rows, csv_rows)


def detail_table(scores: Sequence[MonthScore], names: Mapping[int, str], month: str) -> Table:
    rows, csv_rows = [], []
    for s in sorted(scores, key=lambda s: _name(s.window_id, names)):
        for d in s.deductions:
            moment = d.span.start_ms if d.span is not None else d.at_ms
            when = f"{local(moment):%Y-%m-%d %H:%M:%S}" if moment is not None else ""
            head = [_name(s.window_id, names), KIND_CHINESE.get(d.kind, d.kind), d.rule, when]
            tail = ["计入" if d.counts else "已减免", d.waiver or "", " ".join(str(e) for e in d.evidence),
                    d.detail, deduction_key(s.window_id, s.month, d)]
            rows.append([*head, float(d.points), *tail])
            csv_rows.append([*head, shown(d.points), *tail])
    return Table(f"{month} 扣分明细", "扣分明细", DETAIL_COLUMNS, rows, csv_rows)


def month_report_csv(scores: Sequence[MonthScore], names: Mapping[int, str], month: str) -> bytes:
    """One row per window, values as shown (2 decimals, half-up; — for not rated)."""
    return to_csv(summary_table(scores, names, month))


def month_deductions_csv(scores: Sequence[MonthScore], names: Mapping[int, str], month: str) -> bytes:
    return to_csv(detail_table(scores, names, month))


def month_report_xlsx(scores: Sequence[MonthScore], names: Mapping[int, str], month: str,
                      *extra: Table) -> bytes:
    """Printable sheets: the summary (月度考核), every deduction line (扣分明细), and ``extra`` ones
    (the 好差评 rates, host.exports.national)."""
    return to_xlsx(summary_table(scores, names, month), detail_table(scores, names, month), *extra)

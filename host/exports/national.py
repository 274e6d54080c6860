"""The month's national 好差评 rates as a printable sheet (issue 16): per window and the center."""

from __future__ import annotations

from collections.abc import Mapping

from host.exports.sheet import Column, Table, to_csv
from host.rules.goodbad import NationalStats, percent
from host.scoring.national import MonthNational

COLUMNS = (
    Column("窗口", 18),
    Column("评价数"),
    Column("满意数（基本满意及以上）", 14),
    Column("满意率"),
    Column("差评数"),
    Column("差评率"),
    Column("已回访"),
    Column("回访率"),
    Column("已整改"),
    Column("整改率"),
    Column("回访超时"),
    Column("整改超时"),
    Column("逾期未办"),
)


def _row(name: str, s: NationalStats) -> list[str | int]:
    """Counts stay numbers (Excel sums them); rates as shown (half-up to 0.1 %)."""
    c = s.counts
    return [name, c.evaluations, c.satisfied, percent(s.satisfaction_rate), c.bad, percent(s.bad_rate),
            c.called_back, percent(s.callback_rate), c.rectified, percent(s.rectify_rate), c.callback_late,
            c.rectify_late, c.overdue]


def national_table(nat: MonthNational, names: Mapping[int, str]) -> Table:
    rows = [
        _row(names.get(w, str(w)), s)
        for w, s in sorted(nat.windows.items(), key=lambda p: names.get(p[0], ""))
    ]
    rows.append(_row("全中心", nat.center))
    return Table(title=f"{nat.month} 好差评统计", sheet="好差评统计", columns=COLUMNS, rows=rows)


def national_csv(nat: MonthNational, names: Mapping[int, str]) -> bytes:
    return to_csv(national_table(nat, names))

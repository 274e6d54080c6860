"""CLI tables at 80 columns (issue 12): `evalpad simulate`'s check table and the month report are
readable in an 80-column terminal (no header cut to "wind…", "clos…"), and unchanged when wide."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from host.cli.tables import fitted
from simulator.checker import Row, header, render

KEYS = ("valid", "satisfied", "closures", "no_prompt", "refused", "consecutive", "self_eval", "final")


def _rows() -> list[Row]:
    host = {k: i for i, k in enumerate(KEYS)}
    truth = {**host, "refused": 9}
    return [Row("A01", "公安分局出入境", host, truth), Row("A02", "社保医保综合受理", host, host)]


def _print(width: int, table: Table) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None)
    console.print(fitted(console, table))
    return out.getvalue().replace("\u00a0", " ")


def test_the_check_table_reads_in_80_columns() -> None:
    text = _print(80, render(_rows(), "2026-10：主机报表与真实情况对照"))
    assert "…" not in text
    assert all(len(line) <= 80 for line in text.splitlines()), text
    for key in KEYS:
        assert header(key) in text                               # every header whole
    assert "A01 公安分局出入境" in text and "拒绝评价 4（真实 9）" in text


def test_a_wide_terminal_keeps_the_table() -> None:
    table = render(_rows(), "2026-10")
    console = Console(file=io.StringIO(), width=200)
    assert fitted(console, table) is table

"""Tables in a terminal of any width (issue 12): a Rich table as it is when it fits; in a narrow
terminal (80 columns, COLUMNS=80) one block per row instead: the row's first cells as a heading,
then every other column as ``header value`` pairs wrapped to the width, so no header or value is
cut to "wind…" or "clos…"."""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

NBSP = "\u00a0"


def fitted(console: Console, table: Table, heading_columns: int = 2) -> RenderableType:
    """``table`` if it fits ``console``'s width, else the same rows as wrapped blocks."""
    natural = Measurement.get(console, console.options.update(width=10_000, max_width=10_000), table)
    if natural.maximum <= console.width:
        return table
    columns = table.columns
    cells = [[_plain(c) for c in col.cells] for col in columns]
    headers = [_plain(col.header) for col in columns]
    blocks: list[RenderableType] = []
    if table.title:
        blocks.append(Text(_plain(table.title), style="bold"))
    for i in range(table.row_count):
        head = " ".join(cells[k][i] for k in range(min(heading_columns, len(columns))))
        pairs = [f"{headers[k]}{NBSP}{cells[k][i]}".replace(" ", NBSP)
                 for k in range(heading_columns, len(columns))]
        blocks.append(Text(head, style="bold"))
        blocks.append(Text.from_markup("  " + "   ".join(pairs)) if pairs else Text(""))
    return Group(*blocks)


def _plain(value: object) -> str:
    if isinstance(value, Text):
        return value.markup
    return str(value) if value is not None else ""

"""Charts drawn on the server as inline SVG (no script, no CDN): the monthly report's ranking and
its 12-month trend. Every text is escaped; a value that is missing is drawn as a gap and said."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

COLORS = ("#1f5fbf", "#1e8e3e", "#c77700", "#7b3fc4", "#c5221f", "#0b7a75", "#6b7280", "#a0522d")
FONT = 'font-family="Noto Sans CJK SC, WenQuanYi Zen Hei, sans-serif"'


def ranking_bars(rows: Sequence[tuple[str, float | None, str]], max_value: float, unit: str = "分") -> Markup:
    """Horizontal bars, best first: (label, value or None = not rated, value as shown)."""
    bar_h, gap, label_w, width = 22, 6, 230, 760
    plot = width - label_w - 70
    height = max(1, len(rows)) * (bar_h + gap) + 28
    out = [f'<svg class="svgchart" role="img" aria-label="得分排名" viewBox="0 0 {width} {height}" '
           f'width="100%" {FONT} font-size="13" xmlns="http://www.w3.org/2000/svg">']
    for i, (label, value, text) in enumerate(rows):
        y = i * (bar_h + gap) + 4
        out.append(f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end">{escape(_cut(label, 16))}'
                   f'<title>{escape(label)}</title></text>')
        if value is None:
            out.append(f'<text x="{label_w + 4}" y="{y + 16}" fill="#5f6b7a">{escape(text)}</text>')
            continue
        w = max(1.0, plot * value / max_value) if max_value else 1.0
        out.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" rx="3" fill="{COLORS[0]}">'
                   f'<title>{escape(label)}：{escape(text)} {unit}</title></rect>')
        out.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 16}">{escape(text)}</text>')
    axis_y = len(rows) * (bar_h + gap) + 18
    out.append(f'<text x="{label_w}" y="{axis_y}" fill="#5f6b7a">0</text>'
               f'<text x="{label_w + plot}" y="{axis_y}" text-anchor="end" fill="#5f6b7a">'
               f'{max_value:g} {unit}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def trend_lines(months: Sequence[str], series: dict[str, Sequence[float | None]], max_value: float,
                unit: str) -> Markup:
    """One line per series over the months (a gap where a value is missing), with a legend by name."""
    width, left, right, top = 760, 44, 16, 12
    plot_h = 200
    legend_rows = (len(series) + 2) // 3
    height = top + plot_h + 28 + legend_rows * 20 + 8
    plot_w = width - left - right
    step = plot_w / max(1, len(months) - 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + i * step, top + plot_h - plot_h * v / max_value

    out = [f'<svg class="svgchart" role="img" aria-label="{escape(unit)}趋势" viewBox="0 0 {width} {height}" '
           f'width="100%" {FONT} font-size="12" xmlns="http://www.w3.org/2000/svg">']
    for k in range(5):
        tick = max_value * k / 4
        y = xy(0, tick)[1]
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dde3ea"/>'
                   f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#5f6b7a">{tick:g}</text>')
    for i, m in enumerate(months):
        if len(months) <= 12 or i % 2 == 0:
            out.append(f'<text x="{left + i * step:.1f}" y="{top + plot_h + 18}" text-anchor="middle" '
                       f'fill="#5f6b7a">{escape(m[2:])}</text>')
    for n, (name, values) in enumerate(series.items()):
        color = COLORS[n % len(COLORS)]
        path, pen = [], "M"
        for i, v in enumerate(values):
            if v is None:
                pen = "M"
                continue
            x, y = xy(i, v)
            path.append(f"{pen}{x:.1f},{y:.1f}")
            pen = "L"
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"><title>{escape(name)} '
                       f'{escape(months[i])}：{v:g} {escape(unit)}</title></circle>')
        if path:
            out.append(f'<path d="{" ".join(path)}" fill="none" stroke="{color}" stroke-width="2"/>')
        lx, ly = left + (n % 3) * (plot_w / 3), top + plot_h + 36 + (n // 3) * 20
        out.append(f'<rect x="{lx:.1f}" y="{ly - 10}" width="14" height="4" fill="{color}"/>'
                   f'<text x="{lx + 20:.1f}" y="{ly - 4}">{escape(_cut(name, 18))}'
                   f'<title>{escape(name)}</title></text>')
    out.append("</svg>")
    return Markup("".join(out))


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"

"""The monthly report's charts (issue 12): a ranking and a 12-month trend drawn on the server as
inline SVG (no script, no CDN), legends by window name, and the heat map over working hours."""

from __future__ import annotations

import re

from sqlmodel import Session

from host.calendar import config as calendar
from host.clock import local
from host.web.management.report import trend_chart
from tests.web.harness import Site
from tests.web.test_actions import _seed_evaluations


def test_the_report_draws_a_ranking_and_a_12_month_trend_server_side(app_site: Site) -> None:
    with Session(app_site.engine) as s:
        calendar.declare_year(s, app_site.clock, local(app_site.clock.now_ms()).year, by="t", reason="测试")
    _seed_evaluations(app_site, "A01", satisfied=3)
    boss = app_site.login("boss")
    html = boss.get("/management").text
    ranking = html.split('id="ranking"', 1)[1].split("</svg>", 1)[0]
    assert "<svg" in ranking and "A01 窗口A01" in ranking            # bars named by window
    assert re.search(r'<rect [^>]*width="[\d.]+"', ranking)          # A01 is rated: a bar
    assert "不参评（R9）" in ranking                                   # A02 is not: it says why
    trend = html.split('id="trend"', 1)[1].split("</svg>", 1)[0]
    assert "全厅平均最终得分" in trend and "满意率" in trend
    month = local(app_site.clock.now_ms()).strftime("%Y-%m")
    assert f"{month}：5 分" in trend                                   # this month's point: 3 of 3 satisfied
    assert "<script" not in html.split('id="ranking"', 1)[1].split("</main>", 1)[0]   # drawn, not scripted
    # Months before the first evaluation are left out: a month before it has no trend at all.
    with Session(app_site.engine) as s:
        assert trend_chart(s, app_site.clock, "2025-01", None) is None


def test_chart_legends_name_windows_and_the_heat_map_covers_working_hours(app_site: Site) -> None:
    _seed_evaluations(app_site, "A01", satisfied=2)                    # at 17:45 on a Wednesday
    boss = app_site.login("boss")
    data = boss.get("/management/charts/data").json()
    assert "A01 窗口A01" in data["trend"]["satisfaction"]              # legend: number and name
    heat = data["heatmap"]
    assert heat["hours"][0] == "8时" and heat["hours"][-1] == "17时" and len(heat["weekdays"]) == 6
    assert sum(c[2] for c in heat["cells"]) == 2 and heat["outside"] == 0
    assert all(0 <= c[0] < 10 and 0 <= c[1] < 6 for c in heat["cells"])

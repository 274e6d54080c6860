"""Formula cells in every export: text that people or pads wrote (a window's name, a fault report,
repair notes, an assignee, a violation's detail, a decision's reason, a waiver's reason) that starts
like a formula comes out as text in every CSV and Excel file, and numbers stay numbers.

The exports are found in the app (every GET route with "export" in its path), not listed by hand.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from itertools import product

import openpyxl
from sqlmodel import Session, select

from host import faults, fleet, violations, waivers
from host.models.fleet import Window
from host.rules.types import deduction_key
from host.scoring.months import month_view
from tests.support.routes import app_routes
from tests.web.harness import Site

MONTH = "2026-11"
FORMULA_TEXTS = {
    "window": '=HYPERLINK("http://evil.example/","点此查看")',
    "fault": "+1+cmd|' /C calc'!A0",
    "notes": "-2+3 更换按键",
    "assignee": "@SUM(1+1)*cmd|' /C calc'!A0",
    "detail": "=1+1 未提示评价",
    "decision": "\t=1+1 监控属实",
    "waiver": "\r=1+1 误判",
}
STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
# Values for the path and query parameters of the export routes.
PARAMS = {"what": ("report", "deductions", "violations"), "fmt": ("csv", "xlsx")}
QUERIES = ({"month": MONTH, "format": "csv"}, {"month": MONTH, "format": "xlsx"})


def _seed(site: Site) -> None:
    now = site.clock.now_ms()
    t = FORMULA_TEXTS
    with Session(site.engine) as s:
        fleet.add_window(s, number="A03", name=t["window"], clock=site.clock, actor="t")
        s.commit()
        wid = s.exec(select(Window.id).where(Window.number == "A01")).one()
        assert wid is not None
        fault = faults.report_fault(s, by="clerk", detail=t["fault"], now_ms=now - 600_000, window_id=wid,
                                    device_id="pad-a01")
        assert fault.id is not None
        faults.acknowledge(s, fault.id, by="tech", now_ms=now - 500_000, assignee=t["assignee"])
        faults.resolve(s, fault.id, by="tech", verdict="no_fault_found", notes=t["notes"],
                       now_ms=now - 400_000)
        cand = violations.report(s, window_id=wid, kind="no_prompt", at_ms=now - 300_000, by="guard",
                                 source="patrol", detail=t["detail"], now_ms=now)
        s.commit()
        assert cand.id is not None
        violations.confirm(s, cand.id, reviewer="mgmt", reason=t["decision"], now_ms=now)
        score = month_view(s, MONTH, site.clock, [wid]).results[0].score
        line = next(d for d in score.deductions if d.kind == "no_prompt")
        waivers.create_waiver(s, window_id=wid, month=MONTH, key=deduction_key(wid, MONTH, line),
                              reason=t["waiver"], by="mgmt", now_ms=now)


def _export_urls(site: Site) -> list[str]:
    urls = []
    for r in app_routes(site.app):
        if "GET" not in r.methods or "export" not in r.path:
            continue
        names = re.findall(r"\{(\w+)\}", r.path)
        for values in product(*(PARAMS[n] for n in names)):
            path = r.path
            for n, v in zip(names, values, strict=True):
                path = path.replace("{" + n + "}", v)
            urls += [f"{path}?month={q['month']}&format={q['format']}" for q in QUERIES]
    return urls


def _csv_cells(data: bytes) -> list[str]:
    return [c for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for c in row]


def _check_csv(url: str, data: bytes) -> list[str]:
    cells = _csv_cells(data)
    live = [c for c in cells if c.startswith(STARTS) and not NUMBER.fullmatch(c)]
    assert not live, (url, live)
    return cells


def _check_xlsx(url: str, data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<f[ >]", z.read(name)), (url, name)   # no formula at all
    wb = openpyxl.load_workbook(io.BytesIO(data))
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (url, c.coordinate, c.value)
                if isinstance(c.value, str):
                    texts.append(c.value)
                    if c.value.startswith(STARTS):
                        assert c.quotePrefix, (url, c.coordinate, c.value)   # Excel keeps it text
    return texts


def test_every_export_keeps_formula_text_inert(app_site: Site) -> None:
    _seed(app_site)
    boss = app_site.login("boss")
    checked = seen_numbers = 0
    found: set[str] = set()
    for url in _export_urls(app_site):
        r = boss.get(url)
        kind = r.headers.get("content-type", "")
        if r.status_code != 200 or not kind.startswith(("text/csv", "application/vnd.openxml")):
            continue                       # e.g. deductions exist as CSV only
        checked += 1
        if kind.startswith("text/csv"):
            cells = _check_csv(url, r.content)
        else:
            cells = _check_xlsx(url, r.content)
            wb = openpyxl.load_workbook(io.BytesIO(r.content))
            seen_numbers += sum(isinstance(c.value, int | float) for ws in wb.worksheets
                                for row in ws.iter_rows() for c in row)
        found |= {k for k, text in FORMULA_TEXTS.items()
                  if any(text.strip() in cell for cell in cells)}
    assert checked >= 8, checked
    assert found == set(FORMULA_TEXTS), set(FORMULA_TEXTS) - found   # the text is kept, not dropped
    assert seen_numbers > 20                                         # numbers stay numbers

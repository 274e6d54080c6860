"""Every word a person meets is Chinese (issue 12; rules.md: the host speaks to people in Chinese).

The real app (tests.web.harness) with data that exercises every label: every power cause, every
fault code and source, every reset cause, every category, a closure (R5) in each session of a
day, a confirmed violation of each kind (R6), a management waiver (R8), an imported volume (R3).
Then every page is rendered as each role and every export is downloaded, and the visible text
is searched for English words outside an allow-list (ids, units, brand names, rule ids).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time
from html.parser import HTMLParser
from typing import Any

import openpyxl
import pytest
from sqlmodel import Session, select

from host import fleet, labels, violations, volume, waivers
from host.auth.roles import Role
from host.calendar import config as calendar
from host.calendar.config import DEFAULT_PLACARD
from host.clock import RULES_TZ, local
from host.faults.detect import NETWORK_OUTAGE, SILENT, WATCHDOG_RESETS
from host.faults.flood import EVAL_FLOOD
from host.faults.log import SOURCES, STAFF_REPORT, VERDICTS
from host.models.faults import Fault
from host.models.fleet import Assignment, Window
from host.models.liveness import DeviceStatus, PowerInterval
from host.rules import violations as rules
from host.rules.types import deduction_key
from host.scoring.months import month_view
from protocol import spec
from tests.support.routes import app_routes
from tests.web.harness import Site
from tests.web.test_route_matrix import PARAMS, USER_OF

# Codes people never read (ids, units, brands, formats, rule ids R1-R12): allowed as they are.
ALLOWED = {
    "csv", "excel", "xlsx", "xls", "utf", "gb", "json", "mqtt", "api", "rest", "ota", "ms", "mb", "kb",
    "dbm", "rssi", "https", "http", "id", "wi", "fi", "cpu", "usb", "it", "evalpad", "swagger", "ui",
    "sse", "csrf", "v", "fw", "mpy",
}
# Ids: rule ids, window numbers, pads, and a deduction's key (which `evalpad waiver` takes).
ID = re.compile(r"^(R\d{1,2}[a-d]?|[A-Z]\d+|pad-[a-z0-9-]+|S\d+|W\d+)$")
KEY = re.compile(r"\d+:\d{4}-\d{2}:[a-z_]+:(\d+|-)")
WORD = re.compile(r"[A-Za-z][A-Za-z_]+")


class _Text(HTMLParser):
    """The text a person sees: no script, style or tag; titles and placeholders included."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code", "pre"):
            self._skip += 1
        for k, v in attrs:
            if k in ("title", "placeholder", "alt", "aria-label") and v:
                self.parts.append(v)
            if k == "value" and v and tag in ("input",) and dict(attrs).get("type") in ("submit", "button"):
                self.parts.append(v)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code", "pre") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def english(text: str, ids: set[str]) -> list[str]:
    out = []
    text = KEY.sub(" ", text)
    for token in re.split(r"[\s,，、：:（）()\[\]“”\"'/·;；=<>#—–]+", text):
        if not token or token in ids or ID.match(token):
            continue
        for w in WORD.findall(token):
            if w.lower() not in ALLOWED and w not in ids:
                out.append(w)
    return out


def seen(html: str) -> str:
    p = _Text()
    p.feed(html)
    return "\n".join(p.parts)


# ---- data that exercises every label ----------------------------------------------------------------

def _ms(d: date, h: int, m: int = 0) -> int:
    return int(datetime.combine(d, time(h, m), RULES_TZ).timestamp() * 1000)


def seed(site: Site) -> dict[str, Any]:
    clock = site.clock
    now = clock.now_ms()
    today = local(now).date()
    month = today.strftime("%Y-%m")
    day = date(today.year, today.month, 2) if today.day > 2 else today
    while day.weekday() >= 5:
        day = date(day.year, day.month, day.day + 1)
    with Session(site.engine) as s:
        calendar.declare_year(s, clock, today.year, by="t", reason="测试")
        for i, cat in enumerate(sorted(set(labels.CATEGORY) | set(DEFAULT_PLACARD))):
            fleet.add_window(s, number=f"C{i:02d}", name=f"类别窗口{i}", category=cat, clock=clock, actor="t")
        a01 = s.exec(select(Window).where(Window.number == "A01")).one()
        assert a01.id is not None
        for a in s.exec(select(Assignment).where(Assignment.device_id == "pad-a01")):
            a.start_ms = _ms(date(today.year, today.month, 1), 0)     # the pad sat there all month
            s.add(a)
        # Every power cause, on the closures' day (morning, afternoon) and today (the timeline).
        t = _ms(day, 8, 40)
        for cause in labels.CAUSE:
            s.add(PowerInterval(device_id="pad-a01", state="off", start_ms=t, end_ms=t + 600_000,
                                cause=cause))
            s.add(PowerInterval(device_id="pad-a01", state="on", start_ms=t + 600_000, end_ms=t + 1_200_000,
                                cause="state"))
            t += 1_200_000 if t < _ms(day, 11) else 0
            if t >= _ms(day, 11) and t < _ms(day, 14):
                t = _ms(day, 14)
        start_today = _ms(today, 0)
        for i, cause in enumerate(labels.CAUSE):
            s.add(PowerInterval(device_id="pad-a01", state="off", start_ms=start_today + i * 60_000,
                                end_ms=start_today + i * 60_000 + 30_000, cause=cause))
        # Every reset cause: one pad per cause on the IT page.
        for i, cause in enumerate(spec.RESET_CAUSES):
            dev = f"pad-r{i}"
            fleet.add_device(s, device_id=dev, clock=clock, actor="t")
            s.add(DeviceStatus(device_id=dev, online=i % 2 == 0, mode="serving", since_ms=now - 86_400_000,
                               last_reset_cause=cause))
        # Every fault code and source, in every status.
        codes = [*spec.FAULT_CODES, STAFF_REPORT, SILENT, WATCHDOG_RESETS, NETWORK_OUTAGE, EVAL_FLOOD]
        for i, code in enumerate(codes):
            s.add(Fault(source=SOURCES[i % len(SOURCES)], device_id="pad-a01", window_id=a01.id, code=code,
                        detail="按键无反应", started_ms=now - 3_600_000, last_seen_ms=now, opened_ms=now,
                        status=("open", "acknowledged", "resolved")[i % 3],
                        verdict=VERDICTS[i % len(VERDICTS)] if i % 3 == 2 else None))
        s.commit()
        # A confirmed violation of each kind (R6), and a management waiver (R8).
        for i, kind in enumerate(k for k in rules.POINTS if k not in rules.VOIDING_KINDS):
            cand = violations.report(s, window_id=a01.id, kind=kind, at_ms=_ms(day, 10, i), by="mgmt",
                                     source="complaint", detail="群众投诉", now_ms=now)
            assert cand.id is not None
            violations.confirm(s, cand.id, reviewer="mgmt", reason="查看录像属实", now_ms=now)
        view = month_view(s, month, clock, [a01.id])
        lines = view.results[0].score.deductions
        assert any(d.kind == "closure" for d in lines), [d.kind for d in lines]
        d = next(d for d in lines if d.kind == "closure" and d.waiver is None)
        waivers.create_waiver(s, window_id=a01.id, month=month, key=deduction_key(a01.id, month, d),
                              reason="停电", by="mgmt", now_ms=now)
        volume.import_volume(s, "v.csv", f"窗口号,月份,业务受理量\nA01,{month},300\n".encode(), by="mgmt",
                             now_ms=now)
    return {"month": month}


@pytest.fixture
def rich(app_site: Site) -> tuple[Site, dict[str, Any]]:
    return app_site, seed(app_site)


def _ids(site: Site) -> set[str]:
    with Session(site.engine) as s:
        words = {w.number for w in s.exec(select(Window))} | set(USER_OF.values()) | {"t", "mgmt"}
        words |= {d.device_id for d in s.exec(select(DeviceStatus))} | {"pad-a01"}
    return words


def test_every_code_has_a_chinese_label() -> None:
    """One table per concept (host.labels): nothing falls through to its English code."""
    codes = {
        "fault code": ([*spec.FAULT_CODES, STAFF_REPORT, SILENT, WATCHDOG_RESETS, NETWORK_OUTAGE, EVAL_FLOOD],
                       labels.FAULT_CODE),
        "fault source": (SOURCES, labels.FAULT_SOURCE),
        "verdict": (VERDICTS, labels.FAULT_VERDICT),
        "reset cause": (spec.RESET_CAUSES, labels.RESET_CAUSE),
        "prompt source": (spec.PROMPT_SOURCES, labels.PROMPT_SOURCE),
        "prompt end": (spec.PROMPT_END_REASONS, labels.PROMPT_END),
        "ignored press": (spec.IGNORE_REASONS, labels.IGNORE_REASON),
        "mode": (spec.MODES, labels.STATE),
        "category": (DEFAULT_PLACARD, labels.CATEGORY),
        "role": ([r.value for r in Role], labels.ROLE),
        "deduction": ([*rules.POINTS, "shortfall", "closure"], labels.DEDUCTION),
        "volume source": ((volume.IMPORT, volume.QUEUE, volume.NONE), labels.VOLUME_SOURCE),
    }
    for concept, (keys, table) in codes.items():
        missing = [k for k in keys if k not in table]
        assert not missing, f"{concept}: no Chinese label for {missing}"
        assert all(re.search(r"[\u4e00-\u9fff]", v) for v in table.values()), concept


def _pages(site: Site) -> list[str]:
    out = []
    for r in app_routes(site.app):
        if "GET" not in r.methods or r.path.startswith(("/api", "/metrics", "/openapi", "/healthz", "/ota")):
            continue
        if r.path in ("/board/stream", "/management/charts/data", "/docs") or "{fmt}" in r.path:
            continue
        out.append(re.sub(r"\{(\w+)\}", lambda m: PARAMS.get(m.group(1), "1"), r.path))
    return out


def test_every_page_as_every_role_is_in_chinese(rich: tuple[Site, dict[str, Any]]) -> None:
    site, data = rich
    ids = _ids(site)
    checked = 0
    for role, user in USER_OF.items():
        c = site.login(user)
        for path in [*_pages(site), f"/management?month={data['month']}", "/windows/A01", "/it/devices",
                     "/it/faults", "/management/windows/A01", "/no-such-page"]:
            r = c.get(path, follow_redirects=True)
            if "text/html" not in r.headers.get("content-type", ""):
                continue
            found = english(seen(r.text), ids)
            assert not found, (role.value, path, r.status_code, sorted(set(found))[:20])
            checked += 1
    assert checked > 60, checked


def test_every_export_is_in_chinese(rich: tuple[Site, dict[str, Any]]) -> None:
    site, data = rich
    ids = _ids(site)
    c = site.login("boss")
    exports = [f"/management/export/{what}.{fmt}?month={data['month']}"
               for what, fmt in (("report", "csv"), ("report", "xlsx"), ("deductions", "csv"),
                                 ("violations", "csv"), ("violations", "xlsx"))]
    exports += [f"/it/faults/export.{fmt}" for fmt in ("csv", "xlsx")]
    for url in exports:
        r = c.get(url)
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
        if url.split("?")[0].endswith("csv"):
            cells = [cell for row in csv.reader(io.StringIO(r.content.decode("utf-8-sig"))) for cell in row]
        else:
            wb = openpyxl.load_workbook(io.BytesIO(r.content))
            cells = [str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row
                     if v is not None]
        found = english("\n".join(cells), ids)
        assert not found, (url, sorted(set(found))[:20])


def test_a_failure_on_a_page_is_a_chinese_page(app_site: Site) -> None:
    c = app_site.login("boss")
    r = c.get("/no-such-page")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"] and "找不到" in r.text
    api = c.get("/api/v1/no-such-thing")
    assert api.status_code in (401, 404) and "json" in api.headers["content-type"]


def test_a_bug_on_a_page_is_a_chinese_page_and_on_the_api_a_problem(app_site: Site) -> None:
    """A 500 on a page: Chinese HTML saying what to do; on /api it stays problem JSON."""

    @app_site.app.get("/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("bug")

    @app_site.app.get("/api/v1/boom", include_in_schema=False)
    def api_boom() -> None:
        raise RuntimeError("bug")

    c = app_site.login("boss", raise_server_exceptions=False)
    r = c.get("/boom")
    assert r.status_code == 500 and "text/html" in r.headers["content-type"], r.text[:200]
    assert "信息技术科" in r.text and not english(seen(r.text), set())
    api = c.get("/api/v1/boom")
    assert api.status_code == 500 and "json" in api.headers["content-type"]


def test_every_placeholder_fits_its_box(rich: tuple[Site, dict[str, Any]]) -> None:
    """An input is wide enough for its whole placeholder (a CJK character takes two columns of
    ``size``), so no hint is cut off (issue 12)."""
    site, _ = rich
    c = site.login("boss")
    short = []
    for path in [*_pages(site), "/windows/A01", "/account"]:
        for tag in re.findall(r"<input [^>]*placeholder=\"[^\"]*\"[^>]*>", c.get(path).text):
            hint = re.search(r'placeholder="([^"]*)"', tag)
            size = re.search(r'\ssize="(\d+)"', tag)
            assert hint is not None
            need = sum(2 if ord(ch) > 0x2E80 else 1 for ch in hint.group(1))
            if size is None or int(size.group(1)) < need:
                short.append((path, hint.group(1)))
    assert not short, short

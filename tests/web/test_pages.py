"""The web pages in Debian's Chromium against the real host (pages + API + ingest + Mosquitto).

Screenshots of the main pages go to artifacts/screenshots/ (not committed).
"""

from __future__ import annotations

import csv
import io
import re
import time
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import expect
from sqlmodel import Session, col, select

from host import violations
from host.clock import SystemClock, local
from host.models.audit import AuditEntry
from host.models.commands import Command
from host.models.events import Event
from host.models.liveness import DeviceStatus
from host.models.review import ViolationCandidate
from host.models.volume import MonthlyVolume
from protocol import messages, spec, topics
from tests.ingest.pads import SimPad
from tests.web.conftest import Site, wait_for

pytestmark = [pytest.mark.broker, pytest.mark.slow]

# A throttle wait the next click surely falls inside, even in a slow browser (the test sits
# out the shorter waits before it: 1 + 2 + 4 s). The page says what is *left* of the wait, so
# the 8 s wait may read "7 秒" on a busy machine (it did in CI): 5 s is long enough.
THROTTLE_WAIT_LONG_ENOUGH_S = 5

HOMES = {
    "admin1": ("/management", "月度考核报表"),
    "mgmt1": ("/management", "月度考核报表"),
    "it1": ("/it/faults", "报修记录"),
    "patrol1": ("/board", "大厅看板"),
    "staff1": ("/windows/A01", "公安分局出入境"),
}


def this_month() -> str:
    return local(SystemClock().now_ms()).strftime("%Y-%m")


def tile(page: Any, window: str) -> Any:
    return page.locator(f'#board .tile[data-window="{window}"]')


def seed_evaluations(site: Site, window: str, device: str, satisfied: int, unsatisfied: int) -> None:
    """Evaluations stored as the ingest stores them (the ingest path itself is tested in tests/ingest)."""
    now = SystemClock().now_ms()
    with Session(site.engine) as s:
        from host.models.fleet import Window

        wid = s.exec(select(Window.id).where(Window.number == window)).one()
        base = 10_000 + len(s.exec(select(Event.id)).all())
        for i in range(satisfied + unsatisfied):
            rating = "satisfied" if i < satisfied else "unsatisfied"
            body = messages.event(
                device,
                base + i,
                1,
                1000 + i,
                now - 60_000 + i,
                "eval",
                rating=rating,
                svc=f"S{i}",
                prompted=True,
            )
            s.add(
                Event(
                    device_id=device,
                    seq=base + i,
                    boot=1,
                    up_ms=1000 + i,
                    type="eval",
                    pad_ts_ms=now - 60_000 + i,
                    at_ms=now - 60_000 + i,
                    received_ms=now,
                    window_id=wid,
                    rating=rating,
                    svc=f"S{i}",
                    body=body,
                )
            )
        s.commit()


def test_each_role_logs_in_to_its_own_home_in_chinese(person: Any) -> None:
    for name, (path, heading) in HOMES.items():
        who = person(name)
        page = who.page
        assert page.url.endswith(path), (name, page.url)
        assert heading in page.content()
        assert "退出" in page.inner_text("header")
        who.shot(f"home-{name}")
    cookies = who.context.cookies()
    session = next(c for c in cookies if c["name"] == "evalpad_session")
    assert session["httpOnly"] and session["sameSite"] == "Lax"


def test_wrong_password_is_refused_and_guessing_is_throttled(person: Any) -> None:
    guesser = person("staff2", login=False)
    for _ in range(5):
        page = guesser.login("wrong-password-123")
        assert "用户名或密码错误" in page.content()
    # The waits grow (1 s, 2 s, 4 s, 8 s, ...). Keep guessing as a patient guesser would (each
    # wait sat out) until the wait is long enough that the next try surely falls inside it,
    # however slow this machine's browser is (a short wait may be over before the next click).
    wait_s = 0
    for _ in range(12):
        page = guesser.login("wrong-password-123")
        text = page.content()
        found = re.search(r"登录失败次数过多，请 (\d+) (秒|分钟)后再试", text)
        if found is None:
            assert "用户名或密码错误" in text
            continue
        wait_s = int(found[1]) * (60 if found[2] == "分钟" else 1)
        if wait_s >= THROTTLE_WAIT_LONG_ENOUGH_S:
            break
        time.sleep(wait_s + 0.2)
    assert wait_s >= THROTTLE_WAIT_LONG_ENOUGH_S, "the waits did not grow"
    page = guesser.login()  # even the right password waits now
    assert "登录失败次数过多" in page.content()
    assert "/login" in page.url
    other = person("admin1")  # another account from the same address still works
    assert other.page.url.endswith("/management")


def test_hall_board_follows_a_pad_over_real_mqtt(person: Any, site: Site) -> None:
    patrol = person("patrol1")
    page = patrol.page
    assert tile(page, "A02").get_attribute("class") is not None
    wait_for(lambda: page.locator("#live.on").count() == 1, what="the live stream to connect")
    pad = SimPad(site.broker, "pad-a02", password=site.pad_passwords["pad-a02"])
    try:
        pad.state("serving")
        expect(tile(page, "A02")).to_have_class(re.compile(r"\bserving\b"))
        assert tile(page, "A02").locator('[data-field="state"]').inner_text() == "服务中"
        patrol.shot("board-serving")
        pad.state("paused")
        expect(tile(page, "A02")).to_have_class(re.compile(r"\bpaused\b"))
        assert tile(page, "A02").locator('[data-field="state"]').inner_text() == "暂停服务"
        for mode, shown in (("prompt", "待评价"), ("fault", "故障")):
            pad.state(mode)
            expect(tile(page, "A02")).to_have_class(re.compile(rf"\b{mode}\b"))
            assert tile(page, "A02").locator('[data-field="state"]').inner_text() == shown
        pad.state("serving")
        pad.send(1, type="eval", rating="satisfied", ts=SystemClock().now_ms())
        pad.send(2, type="eval", rating="unsatisfied", ts=SystemClock().now_ms())
        expect(tile(page, "A02").locator('[data-field="today"]')).to_have_text("2")
        assert tile(page, "A02").locator('[data-field="rate"]').inner_text() == "50.0%"
        pad.power_off()  # a graceful switch-off: the pad says so itself
    finally:
        pad.close()
    expect(tile(page, "A02")).to_have_class(re.compile(r"\boffline\b"))
    assert tile(page, "A02").locator('[data-field="state"]').inner_text() == "离线"
    patrol.shot("board")

    page.select_option('select[name="window"]', "A02")
    page.fill('input[name="note"]', "窗口无人值守，评价器离线")
    page.click("form[action='/board/notes'] button")
    assert "已记录 A02 窗口的巡查情况" in page.content()
    assert "窗口无人值守，评价器离线" in page.inner_text("table")
    with site.session() as s:
        note = s.exec(select(AuditEntry).where(AuditEntry.action == "patrol.note")).one()
        assert (note.actor, note.subject, note.reason) == ("patrol1", "A02", "窗口无人值守，评价器离线")
    wall = person("patrol1")
    wall.goto("/board?wall=1")
    wall.page.wait_for_selector("#live.on")
    wall.shot("board-wall")


def _serving(site: Site, device: str) -> bool:
    with Session(site.engine) as s:
        st = s.get(DeviceStatus, device)
        return st is not None and st.online and st.mode == "serving"


def test_staff_pause_their_own_pad_and_nobody_elses(person: Any, site: Site) -> None:
    pad = SimPad(site.broker, "pad-a01", password=site.pad_passwords["pad-a01"])
    got: list[dict[str, Any]] = []
    pad.client.on_message = lambda c, u, m: (
        got.append(messages.parse_command(m.payload)) if m.topic.endswith("/cmd") else None
    )
    pad.client.subscribe(topics.topic("pad-a01", spec.CMD), qos=1)
    try:
        # The page offers 暂停服务 only while the pad is serving (issue 12): it says so, then we wait.
        pad.state("serving")
        wait_for(lambda: _serving(site, "pad-a01"), what="pad-a01 online and serving")
        staff = person("staff1")
        page = staff.page
        page.fill('input[name="reason"]', "午间交接")
        page.click("form:has(input[value=pause]) button")
        assert "已向评价器发送“暂停服务”指令" in page.content()
        wait_for(lambda: any(c["type"] == "pause" for c in got), what="the pause command at the pad")
        assert next(c for c in got if c["type"] == "pause")["reason"] == "午间交接"
        assert "网页指令：暂停服务（staff1" in page.inner_text("ol.timeline")
        staff.shot("window-A01")
        # Another window's page and commands are refused, with or without a valid CSRF token.
        assert staff.goto("/windows/A02").locator("h1").inner_text() == "无权访问"
        staff.goto("/windows/A01")
        r = page.request.post(
            site.url + "/windows/A02/commands", form={"kind": "pause", "csrf": staff.csrf()}, max_redirects=0
        )
        assert r.status == 403
        with site.session() as s:
            assert s.exec(select(Command).where(Command.device_id == "pad-a02")).all() == []
    finally:
        pad.close()


def test_refused_where_the_role_does_not_belong(person: Any) -> None:
    patrol = person("patrol1")
    for path in ("/management", "/management/violations", "/it/faults", "/it/devices", "/config"):
        page = patrol.goto(path)
        assert page.locator("h1").inner_text() == "无权访问", path
        assert "巡查人员" in page.content()
    staff = person("staff1")
    for path in ("/management/export/report.xlsx", "/it/rejected"):
        r = staff.page.request.get(staff.site.url + path)
        assert r.status == 403, path
    anonymous = person("nobody", login=False)
    page = anonymous.goto("/management")
    assert "/login?next=%2Fmanagement" in page.url


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(person: Any, site: Site) -> None:
    patrol = person("patrol1")
    before = _notes(site)
    r = patrol.page.request.post(
        site.url + "/board/notes", form={"window": "A01", "note": "伪造"}, max_redirects=0
    )
    assert r.status == 403 and "CSRF" in r.text()
    r = patrol.page.request.post(
        site.url + "/board/notes", form={"window": "A01", "note": "伪造", "csrf": "0" * 64}, max_redirects=0
    )
    assert r.status == 403
    assert _notes(site) == before
    r = patrol.page.request.post(
        site.url + "/board/notes",
        form={"window": "A01", "note": "正常巡查", "csrf": patrol.csrf()},
        max_redirects=0,
    )
    assert r.status == 303
    assert _notes(site) == before + 1


def _notes(site: Site) -> int:
    with site.session() as s:
        return len(s.exec(select(AuditEntry).where(AuditEntry.action == "patrol.note")).all())


def test_confirming_a_violation_lowers_the_score(person: Any, site: Site) -> None:
    seed_evaluations(site, "B03", "pad-b03-gone", satisfied=4, unsatisfied=0)
    now = SystemClock().now_ms()
    with site.session() as s:
        from host.models.fleet import Window

        wid = s.exec(select(Window.id).where(Window.number == "B03")).one()
        assert wid is not None
        cand = violations.report(
            s,
            window_id=wid,
            kind="no_prompt",
            at_ms=now - 30_000,
            by="patrol1",
            source="patrol",
            detail="巡查发现未提示评价",
            now_ms=now,
        )
        s.commit()
        cid = cand.id
    mgmt = person("mgmt1")
    page = mgmt.page
    before = page.locator('#report tr[data-window="B03"] td.final').inner_text()
    assert before == "5.00"
    mgmt.shot("management-report")
    page.click(f"a[href='/management/violations?month={this_month()}']")
    row = page.locator(f'#violations tr[data-id="{cid}"]')
    assert "待审核" in row.inner_text() and "未提示评价" in row.inner_text()
    mgmt.shot("management-violations")
    row.locator('input[name="reason"]').fill("巡查记录属实")
    row.locator("button.danger").click()
    assert f"线索 #{cid} 已确认" in page.content()
    page = mgmt.goto(f"/management?month={this_month()}")
    after = page.locator('#report tr[data-window="B03"] td.final').inner_text()
    assert float(after) < float(before), (before, after)
    page.click("tr[data-window='B03'] >> text=证据")
    assert "巡查发现未提示评价" in page.content()
    mgmt.shot("management-evidence")
    with site.session() as s:
        c = s.get(ViolationCandidate, cid)
        assert c is not None and c.status == "confirmed"
        audit = s.exec(
            select(AuditEntry).where(col(AuditEntry.action).like("violation.%"), AuditEntry.actor == "mgmt1")
        ).all()
        assert audit, "the decision is in the audit trail"


def test_volume_file_with_one_bad_row_shows_the_row_and_imports_nothing(
    person: Any, site: Site, tmp_path: Any
) -> None:
    month = this_month()
    path = tmp_path / "受理量.csv"
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["窗口", "月份", "业务受理量"])
    w.writerow(["A01", month, "120"])
    w.writerow(["A02", month, "很多"])  # row 3: not a number
    w.writerow(["B03", month, "80"])
    path.write_text(buf.getvalue(), encoding="utf-8")
    mgmt = person("mgmt1")
    page = mgmt.goto("/management/volume")
    page.set_input_files('input[type="file"]', str(path))
    page.uncheck('input[name="preview"]')
    page.click("form[action='/management/volume'] button")
    errors = page.locator("#row-errors")
    assert "未导入任何数据" in page.content()
    assert re.search(r"^\s*3\s", errors.locator("tr").nth(1).inner_text()), errors.inner_text()
    mgmt.shot("management-volume-error")
    with site.session() as s:
        assert s.exec(select(MonthlyVolume)).all() == []
    buf2 = buf.getvalue().replace("很多", "95")
    path.write_text(buf2, encoding="utf-8")
    page.set_input_files('input[type="file"]', str(path))
    page.click("form[action='/management/volume'] button")  # preview is checked again
    assert "预览：文件无误，共 3 行" in page.content()
    with site.session() as s:
        assert s.exec(select(MonthlyVolume)).all() == []


def test_excel_report_downloads_and_opens(person: Any, tmp_path: Any) -> None:
    mgmt = person("mgmt1")
    page = mgmt.page
    with page.expect_download() as info:
        page.click("text=导出 Excel")
    target = tmp_path / "report.xlsx"
    info.value.save_as(target)
    wb = openpyxl.load_workbook(target)
    text = "\n".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value)
    assert "A01 公安分局出入境" in text and "最终得分" in text


def test_it_pages_and_charts_render(person: Any, site: Site) -> None:
    it = person("it1")
    page = it.goto("/it/devices")
    page.fill('input[name="device_id"]', "pad-c09")
    page.select_option("form[action='/it/devices'] select[name='window']", "B03")
    page.click("form[action='/it/devices'] button")
    password = page.locator('[data-testid="password"]').inner_text()
    assert len(password) >= 12
    it.shot("it-devices")
    again = it.goto("/it/devices")
    assert password not in again.content()  # shown once
    it.goto("/it/faults")
    it.shot("it-faults")
    it.goto("/it/rejected")
    it.shot("it-rejected")
    mgmt = person("mgmt1")
    page = mgmt.goto("/management/charts")
    page.wait_for_selector("body[data-charts=ready]")
    assert page.locator("#heat canvas").count() == 1
    mgmt.shot("management-charts")
    mgmt.goto("/config")
    mgmt.shot("config")
    admin = person("admin1")
    assert "staff2" in admin.goto("/config/users").inner_text("#users")
    admin.shot("config-users")
    phone = person("staff1", width=390)  # a window's staff on a phone
    assert phone.page.url.endswith("/windows/A01")
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the window page scrolls sideways on a phone ({width} px)"
    phone.shot("window-A01-phone")


def test_the_api_reference_renders_offline_for_a_signed_in_person_only(person: Any, site: Site) -> None:
    """/docs draws the API from the host's own copy of Swagger UI (this machine has no CDN to reach);
    without a session neither the page nor /openapi.json is given out."""
    stranger = person("admin1", login=False)
    stranger.goto("/docs")
    assert "/login" in stranger.page.url
    assert stranger.page.request.get(site.url + "/openapi.json").status == 401
    admin = person("admin1")
    page = admin.goto("/docs")
    expect(page.locator(".opblock-tag").first).to_be_visible(timeout=15_000)
    assert page.locator(".opblock").count() > 20
    admin.shot("api-docs")

"""The 好差评 pages (issue 16): the management page with cases, rates and alerts; a step through
its form, audited; the hall board's alerts; the configuration page's mode and its assumption."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import Session, col, select

from host.goodbad.watch import check
from host.models import AuditEntry, BadReview, Event, RuleSetting
from host.rules.month_span import month_of
from tests.web.harness import Site, csrf_of, flash


@pytest.fixture
def site(tmp_path: Path) -> Site:
    s = Site(tmp_path)
    with Session(s.engine) as db:
        at = s.clock.now_ms() - 60_000
        db.add(
            Event(
                device_id="pad-a01",
                seq=1,
                boot=1,
                up_ms=1,
                type="eval",
                pad_ts_ms=at,
                at_ms=at,
                received_ms=at + 50,
                window_id=1,
                rating="unsatisfied",
                level=1,
                case_no="SH-77",
                item="社保转移",
                body={"v": 1, "seq": 1, "type": "eval", "rating": "unsatisfied", "level": 1},
            )
        )
        db.commit()
        check(db, after_id=0, now_ms=s.clock.now_ms())
    return s


def test_the_management_page_shows_the_case_the_rates_and_the_alert(site: Site) -> None:
    mgmt = site.login("mgmt")
    page = mgmt.get(f"/management/goodbad?month={month_of(site.clock.now_ms())}")
    assert page.status_code == 200
    html = page.text
    assert 'data-case="1"' in html and "SH-77" in html and "社保转移" in html and "非常不满意" in html
    assert 'data-alert="1"' in html and "差评" in html
    assert 'id="national"' in html and "100.0%" in html  # 差评率 1 of 1
    report = mgmt.get(f"/management?month={month_of(site.clock.now_ms())}").text
    assert 'id="national"' in report


def test_a_callback_through_the_form_is_the_services_and_audited(site: Site) -> None:
    mgmt = site.login("mgmt")
    token = csrf_of(mgmt, "/management/goodbad/cases/1")
    r = mgmt.post("/management/goodbad/cases/1/callback", data={"csrf": token, "text": "已致电群众并致歉"})
    assert flash(mgmt, r) == "ok"
    with Session(site.engine) as db:
        case = db.get(BadReview, 1)
        assert case is not None and (case.callback_by, case.status) == ("mgmt", "called_back")
        assert (
            db.exec(
                select(AuditEntry).where(
                    AuditEntry.action == "badreview.callback", AuditEntry.actor == "mgmt"
                )
            ).first()
            is not None
        )
    r = mgmt.post("/management/goodbad/cases/1/close", data={"csrf": token, "text": "结案"})
    assert flash(mgmt, r) == "err"  # not rectified yet


def test_the_board_shows_unacknowledged_alerts_to_everyone(site: Site) -> None:
    guard = site.login("guard")
    (alert,) = guard.get("/board/alerts").json()
    assert alert["window"] == "A01" and "差评" in alert["text"]
    assert 'id="alerts"' in guard.get("/board").text
    mgmt = site.login("mgmt")
    r = mgmt.post("/management/goodbad/alerts/1/ack", data={"csrf": csrf_of(mgmt, "/management/goodbad")})
    assert flash(mgmt, r) == "ok"
    assert guard.get("/board/alerts").json() == []


def test_the_configuration_page_sets_the_mode_and_shows_the_assumption(site: Site) -> None:
    mgmt = site.login("mgmt")
    assert 'id="level-points-assumption"' in mgmt.get("/config").text
    token = csrf_of(mgmt, "/config")
    form = {
        "csrf": token,
        "scoring_mode": "five_level",
        "level_points": "5:5,4:4,3:3,2:1,1:0",
        "callback_working_days": "1",
        "rectify_working_days": "15",
        "burst_minutes": "15",
        "burst_min_ratings": "4",
        "burst_share_percent": "50",
        "reason": "省好差评要求",
    }
    assert flash(mgmt, mgmt.post("/config/goodbad", data=form)) == "ok"
    with Session(site.engine) as db:
        rows = {r.key: r.value for r in db.exec(select(RuleSetting)).all()}
        assert rows == {"scoring_mode": "five_level", "level_points": "5:5,4:4,3:3,2:1,1:0"}
        audit = db.exec(
            select(AuditEntry).where(AuditEntry.action == "setting.set").order_by(col(AuditEntry.id))
        ).all()
        assert [(a.actor, a.subject, a.reason) for a in audit] == [
            ("mgmt", "scoring_mode", "省好差评要求"),
            ("mgmt", "level_points", "省好差评要求"),
        ]
    assert 'id="level-points-assumption"' not in mgmt.get("/config").text
    bad = {**form, "level_points": "5:5,4:6,3:3,2:1,1:0"}
    assert flash(mgmt, mgmt.post("/config/goodbad", data=bad)) == "err"


def test_the_month_reports_excel_has_the_rates_and_the_csv_export(site: Site) -> None:
    mgmt = site.login("mgmt")
    month = month_of(site.clock.now_ms())
    r = mgmt.get(f"/management/export/report.xlsx?month={month}")
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert book.sheetnames[-1] == "好差评统计"
    rows = [[c.value for c in row] for row in book["好差评统计"].iter_rows()]
    assert rows[-1][:6] == ["全中心", 1, 0, "0.0%", 1, "100.0%"]
    csv = mgmt.get(f"/management/goodbad/export/national.csv?month={month}").content.decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("窗口,评价数") and "全中心,1,0,0.0%,1,100.0%" in csv
    platform = mgmt.get(f"/management/goodbad/export/platform.csv?month={month}").content.decode("utf-8-sig")
    assert "SH-77" in platform


def test_the_windows_staff_see_their_open_case_and_record_its_rectification(site: Site) -> None:
    """Issue 16: a 差评 is rectified by its window; its staff do it on their own window page (no API
    needed), the step is the service's and audited (R12); another window's page refuses them."""
    clerk = site.login("clerk")                       # staff of A01
    page = clerk.get("/windows/A01")
    assert page.status_code == 200
    assert 'id="badreviews"' in page.text and "SH-77" in page.text and ">登记整改</button>" in page.text
    token = csrf_of(clerk, "/windows/A01")
    r = clerk.post("/windows/A01/badreviews/1", data={"csrf": token, "step": "rectify",
                                                     "text": "已重新讲解社保转移流程"})
    assert flash(clerk, r) == "ok"
    with Session(site.engine) as db:
        case = db.get(BadReview, 1)
        assert case is not None and (case.rectify_by, case.status) == ("clerk", "rectified")
        assert db.exec(select(AuditEntry).where(AuditEntry.action == "badreview.rectify",
                                                AuditEntry.actor == "clerk")).first() is not None
    again = clerk.post("/windows/A01/badreviews/1", data={"csrf": token, "step": "rectify", "text": "再次"})
    assert flash(clerk, again) == "err"              # once only; a note adds to it
    assert ">登记整改</button>" not in clerk.get("/windows/A01").text
    # not their window: refused, and the case of A01 cannot be reached through A02's address either
    assert clerk.post("/windows/A02/badreviews/1", data={"csrf": token, "step": "evidence",
                                                        "text": "x"}).status_code == 403
    mgmt = site.login("mgmt")
    token = csrf_of(mgmt, "/windows/A02")
    wrong = mgmt.post("/windows/A02/badreviews/1", data={"csrf": token, "step": "evidence", "text": "x"})
    assert flash(mgmt, wrong) == "err"
    with Session(site.engine) as db:
        case = db.get(BadReview, 1)
        assert case is not None and case.evidence == []

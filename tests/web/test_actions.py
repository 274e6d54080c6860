"""The pages' actions end in the domain (and its audit trail, R12), not in page-local state."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
from sqlmodel import Session, col, select

from host import violations
from host.faults.flood import EVAL_FLOOD, FLOOD_TEXT
from host.faults.log import open_fault
from host.models.audit import AuditEntry
from host.models.calendar import CalendarDay
from host.models.events import BootAnchor, Event
from host.models.faults import Fault
from host.models.fleet import Assignment, Window
from host.models.months import MonthAction
from host.models.review import ViolationCandidate
from host.models.service import ServiceSession
from host.models.volume import MonthlyVolume
from protocol import messages
from tests.web.harness import Site, csrf_of, flash, login_post, pad_state


def audited(site: Site, action_prefix: str, actor: str) -> list[AuditEntry]:
    with Session(site.engine) as s:
        return list(
            s.exec(
                select(AuditEntry).where(
                    col(AuditEntry.action).startswith(action_prefix), AuditEntry.actor == actor
                )
            )
        )


def test_staff_report_a_fault_and_it_takes_it_through_its_lifecycle(app_site: Site) -> None:
    clerk = app_site.login("clerk")
    token = csrf_of(clerk, "/windows/A01")
    r = clerk.post("/windows/A01/faults", data={"detail": "满意键按不下去", "csrf": token})
    assert r.status_code == 303 and flash(clerk, r) == "ok"
    with Session(app_site.engine) as s:
        fault = s.exec(select(Fault)).one()
        assert (fault.device_id, fault.opened_by, fault.status) == ("pad-a01", "clerk", "open")
        fid = fault.id
    assert clerk.get("/it/faults").status_code == 403
    tech = app_site.login("tech")
    page = tech.get("/it/faults").text
    assert "满意键按不下去" in page and "待处理" in page
    token = csrf_of(tech, "/it/faults")
    assert tech.post(f"/it/faults/{fid}/ack", data={"assignee": "李工", "csrf": token}).status_code == 303
    r = tech.post(f"/it/faults/{fid}/resolve", data={"verdict": "pad_fault", "note": "", "csrf": token})
    assert flash(tech, r) == "err"  # a verdict needs repair notes
    r = tech.post(
        f"/it/faults/{fid}/resolve", data={"verdict": "pad_fault", "note": "更换按键", "csrf": token}
    )
    assert flash(tech, r) == "ok"
    with Session(app_site.engine) as s:
        done = s.get(Fault, fid)
        assert done is not None
        fault = done
        assert (fault.status, fault.assignee, fault.verdict) == ("resolved", "李工", "pad_fault")
        assert "更换按键" in fault.repair_notes
    assert "评价器故障" in tech.get("/it/faults").text
    xlsx = tech.get("/it/faults/export.xlsx")
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any("满意键按不下去" in c for c in cells) and any("更换按键" in c for c in cells)


def test_month_close_and_reopen_need_the_right_role_and_a_reason(app_site: Site) -> None:
    mgmt = app_site.login("mgmt")
    token = csrf_of(mgmt, "/management")
    month = "2026-10"
    r = mgmt.post(f"/management/months/{month}/close", data={"reason": "十月考核", "csrf": token})
    assert flash(mgmt, r) == "ok", r.headers["location"]
    assert "已关账" in mgmt.get(f"/management?month={month}").text
    r = mgmt.post(f"/management/months/{month}/reopen", data={"reason": "", "csrf": token})
    assert flash(mgmt, r) == "err"
    r = mgmt.post(f"/management/months/{month}/reopen", data={"reason": "补录投诉", "csrf": token})
    assert flash(mgmt, r) == "ok"
    with Session(app_site.engine) as s:
        actions = s.exec(
            select(MonthAction)
            .where(MonthAction.month == month)
            .order_by(col(MonthAction.at_ms), col(MonthAction.id))
        ).all()
        assert [(a.action, a.by, a.reason) for a in actions] == [
            ("close", "mgmt", "十月考核"),
            ("reopen", "mgmt", "补录投诉"),
        ]
    tech = app_site.login("tech")
    r = tech.post(f"/management/months/{month}/close", data={"csrf": csrf_of(tech, "/it/faults")})
    assert r.status_code == 403


def test_configuration_changes_are_made_and_audited(app_site: Site) -> None:
    mgmt = app_site.login("mgmt")
    token = csrf_of(mgmt, "/config")
    r = mgmt.post(
        "/config/windows", data={"number": "C05", "name": "公积金", "category": "general", "csrf": token}
    )
    assert flash(mgmt, r) == "ok", r.headers["location"]
    r = mgmt.post(
        "/config/calendar", data={"day": "2026-12-31", "kind": "holiday", "reason": "跨年调休", "csrf": token}
    )
    assert flash(mgmt, r) == "ok", r.headers["location"]
    assert (
        mgmt.post(
            "/config/assignments", data={"device_id": "pad-a01", "window": "C05", "csrf": token}
        ).status_code
        == 403
    )  # IT's job
    app_site.clock.advance(60_000)  # a pad moves after it was placed, not at once
    tech = app_site.login("tech")
    r = tech.post(
        "/config/assignments",
        data={"device_id": "pad-a01", "window": "C05", "reason": "调换", "csrf": csrf_of(tech, "/config")},
    )
    assert flash(tech, r) == "ok", r.headers["location"]
    with Session(app_site.engine) as s:
        c05 = s.exec(select(Window).where(Window.number == "C05")).one()
        open_a = s.exec(
            select(Assignment).where(Assignment.device_id == "pad-a01", col(Assignment.end_ms).is_(None))
        ).one()
        assert open_a.window_id == c05.id and open_a.by == "tech"
        day = s.exec(select(CalendarDay)).one()
        assert (day.working, day.by, day.reason) == (False, "mgmt", "跨年调休")
    assert [e.subject for e in audited(app_site, "window.add", "mgmt")] == ["C05"]
    assert [e.reason for e in audited(app_site, "device.assign", "tech")] == ["调换"]
    assert [e.subject for e in audited(app_site, "calendar.set", "mgmt")] == ["2026-12-31"]
    page = mgmt.get("/config").text
    assert "公积金" in page and "跨年调休" in page


def test_desk_commands_reach_the_publisher_with_the_staff_as_actor(app_site: Site) -> None:
    pad_state(app_site, online=True, mode="serving")
    clerk = app_site.login("clerk")
    token = csrf_of(clerk, "/windows/A01")
    r = clerk.post("/windows/A01/commands", data={"kind": "prompt", "svc": "", "csrf": token})
    assert flash(clerk, r) == "err" and not app_site.sent  # a prompt needs its 业务号
    r = clerk.post("/windows/A01/commands", data={"kind": "prompt", "svc": "Q0815", "csrf": token})
    assert flash(clerk, r) == "ok"
    topic, payload = app_site.sent[-1]
    assert topic == "evalpad/v1/pad-a01/cmd"
    assert messages.parse_command(payload)["svc"] == "Q0815"
    r = clerk.post("/windows/A01/commands", data={"kind": "reboot", "csrf": token})
    assert flash(clerk, r) == "err" and len(app_site.sent) == 1  # not a desk command
    assert [e.subject for e in audited(app_site, "command.send", "clerk")] == ["pad-a01"]


def test_unknown_window_page_is_a_chinese_404_and_the_api_keeps_problem_json(app_site: Site) -> None:
    mgmt = app_site.login("mgmt")
    r = mgmt.get("/windows/Z99")
    assert r.status_code == 404 and "找不到" in r.text and "<html" in r.text
    r = mgmt.get("/api/v1/windows/Z99")
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")


def _seed_evaluations(site: Site, number: str, satisfied: int) -> None:
    """Evaluations as the ingest stores them (the ingest itself is tested in tests/ingest)."""
    now = site.clock.now_ms()
    with Session(site.engine) as s:
        wid = s.exec(select(Window.id).where(Window.number == number)).one()
        for i in range(satisfied):
            body = messages.event(
                "pad-a01",
                100 + i,
                1,
                1000 + i,
                now - 60_000 + i,
                "eval",
                rating="satisfied",
                svc=f"S{i}",
                prompted=True,
            )
            s.add(
                Event(
                    device_id="pad-a01",
                    seq=100 + i,
                    boot=1,
                    up_ms=1000 + i,
                    type="eval",
                    pad_ts_ms=now - 60_000 + i,
                    at_ms=now - 60_000 + i,
                    received_ms=now,
                    window_id=wid,
                    rating="satisfied",
                    svc=f"S{i}",
                    body=body,
                )
            )
        s.commit()


def _final(page: str, number: str) -> str:
    row = page.split(f'data-window="{number}"', 1)[1].split("</tr>", 1)[0]
    return row.split('class="num final"><b>', 1)[1].split("<", 1)[0]


def test_confirm_then_waive_a_deduction_with_its_reason(app_site: Site) -> None:
    _seed_evaluations(app_site, "A01", satisfied=3)
    now = app_site.clock.now_ms()
    with Session(app_site.engine) as s:
        wid = s.exec(select(Window.id).where(Window.number == "A01")).one()
        assert wid is not None
        cid = violations.report(
            s,
            window_id=wid,
            kind="no_prompt",
            at_ms=now - 30_000,
            by="guard",
            source="patrol",
            detail="未提示群众评价",
            now_ms=now,
        ).id
        s.commit()
    mgmt = app_site.login("mgmt")
    month = "2026-11"
    assert _final(mgmt.get(f"/management?month={month}").text, "A01") == "5.00"
    token = csrf_of(mgmt, "/management")
    r = mgmt.post(f"/management/violations/{cid}/confirm", data={"reason": "", "month": month, "csrf": token})
    assert flash(mgmt, r) == "err"  # a decision needs its reason
    r = mgmt.post(
        f"/management/violations/{cid}/confirm",
        data={"reason": "监控录像属实", "month": month, "csrf": token},
    )
    assert flash(mgmt, r) == "ok"
    lowered = _final(mgmt.get(f"/management?month={month}").text, "A01")
    assert float(lowered) < 5.0
    evidence = mgmt.get(f"/management/windows/A01?month={month}").text
    assert "未提示评价" in evidence and "未提示群众评价" in evidence
    key = evidence.split('name="key" value="', 1)[1].split('"', 1)[0]
    r = mgmt.post(
        "/management/waivers",
        data={"window": "A01", "month": month, "key": key, "reason": "经核实为误判", "csrf": token},
    )
    assert flash(mgmt, r) == "ok", r.headers["location"]
    page = mgmt.get(f"/management?month={month}").text
    assert float(_final(page, "A01")) > float(lowered)  # the waived line no longer counts
    evidence = mgmt.get(f"/management/windows/A01?month={month}").text
    assert "经核实为误判" in evidence and "不计入" in evidence  # still shown, marked (R8)
    assert audited(app_site, "violation.", "mgmt") and audited(app_site, "waiver.", "mgmt")


def test_a_good_volume_file_is_imported_and_listed(app_site: Site) -> None:
    mgmt = app_site.login("mgmt")
    token = csrf_of(mgmt, "/management/volume")
    data = "窗口,月份,业务受理量\nA01,2026-11,120\nA02,2026-11,95\n".encode()
    r = mgmt.post(
        "/management/volume", data={"csrf": token}, files={"file": ("受理量.csv", data, "text/csv")}
    )
    assert r.status_code == 200, r.text
    assert "已导入 2 行" in r.text and "受理量.csv" in r.text
    with Session(app_site.engine) as s:
        rows = s.exec(select(MonthlyVolume).order_by(col(MonthlyVolume.window_id))).all()
        assert [r.volume for r in rows] == [120, 95]
    r = mgmt.post("/management/volume", data={"csrf": token}, files={"file": ("空.csv", b"", "text/csv")})
    assert r.status_code == 422 and "文件为空" in r.text


def test_a_patrol_note_can_flag_a_violation_for_review(app_site: Site) -> None:
    guard = app_site.login("guard")
    token = csrf_of(guard)
    r = guard.post(
        "/board/notes",
        data={"window": "A01", "note": "未提示群众评价", "violation": "no_prompt", "csrf": token},
    )
    assert flash(guard, r) == "ok"
    r = guard.post(
        "/board/notes", data={"window": "A01", "note": "x", "violation": "self_eval", "csrf": token}
    )
    assert flash(guard, r) == "err"  # needs the evaluation: the detector's
    with Session(app_site.engine) as s:
        cands = s.exec(select(ViolationCandidate)).all()
        assert [(c.kind, c.source, c.status, c.detail) for c in cands] == [
            ("no_prompt", "patrol", "open", "未提示群众评价")
        ]
    queue = app_site.login("mgmt").get("/management/violations?month=2026-11").text
    assert "未提示群众评价" in queue and "巡查" in queue


ADMIN_PAGES = (
    "/board",
    "/windows/A01",
    "/management",
    "/management/windows/A01",
    "/management/violations",
    "/management/waivers",
    "/management/volume",
    "/management/charts",
    "/management/charts/data",
    "/management/export/report.xlsx",
    "/management/export/report.csv",
    "/management/export/deductions.csv",
    "/management/export/violations.xlsx",
    "/it/faults",
    "/it/faults/export.xlsx",
    "/it/devices",
    "/it/rejected",
    "/config",
    "/config/users",
)


def test_every_page_renders_on_sqlite_and_postgresql(db_url: str, tmp_path: Path) -> None:
    site = Site(tmp_path, url=db_url)
    try:
        _seed_evaluations(site, "A01", satisfied=2)
        boss = site.login("boss")
        for path in ADMIN_PAGES:
            r = boss.get(path)
            assert r.status_code == 200, (path, r.status_code, r.text[:300])
        data = boss.get("/management/charts/data").json()
        assert data["evaluations"] == 2 and sum(c[2] for c in data["heatmap"]["cells"]) == 2
        assert '"today": 2' in board_json(site)
    finally:
        site.engine.dispose()


def board_json(site: Site) -> str:
    from host.web.board import SharedSnapshots

    return SharedSnapshots().get(site.engine, site.clock, None)


def test_the_admin_adds_and_disables_accounts_from_the_browser(app_site: Site) -> None:
    boss = app_site.login("boss")
    token = csrf_of(boss, "/config/users")
    r = boss.post(
        "/config/users",
        data={"name": "wang", "role": "staff", "window": "A02", "password": "short", "csrf": token},
    )
    assert flash(boss, r) == "err"  # too short: refused, not stored
    r = boss.post(
        "/config/users",
        data={
            "name": "wang",
            "role": "staff",
            "window": "A02",
            "password": "窗口二号-初始密码-2026",
            "reason": "新入职",
            "csrf": token,
        },
    )
    assert flash(boss, r) == "ok", r.headers["location"]
    wang = app_site.client()
    r = login_post(wang, name="wang", password="窗口二号-初始密码-2026")
    assert r.headers["location"] == "/windows/mine"
    assert wang.get("/windows/mine").headers["location"] == "/windows/A02"
    r = boss.post("/config/users/wang/disable", data={"reason": "调岗", "csrf": token})
    assert flash(boss, r) == "ok"
    assert wang.get("/windows/A02").status_code == 303  # the session ended at once
    assert [e.subject for e in audited(app_site, "user.", "boss")] == ["wang", "wang"]
    assert app_site.login("mgmt").get("/config/users").status_code == 403


def test_bad_input_gets_a_clear_chinese_message_and_stores_nothing(app_site: Site) -> None:
    guard = app_site.login("guard")
    token = csrf_of(guard)
    for note, why in (("   ", "不能为空"), ("长" * 501, "最多 500 字")):
        r = guard.post("/board/notes", data={"window": "A01", "note": note, "csrf": token})
        page = guard.get(r.headers["location"]).text
        assert why in page
    assert not audited(app_site, "patrol.note", "guard")
    mgmt = app_site.login("mgmt")
    token = csrf_of(mgmt, "/management/volume")
    big = b"x" * (5 * 1024 * 1024 + 1)
    r = mgmt.post("/management/volume", data={"csrf": token}, files={"file": ("big.csv", big, "text/csv")})
    assert r.status_code == 422 and "拆分" in r.text
    r = mgmt.post(
        "/management/volume",
        data={"csrf": token},
        files={"file": ("受理量.pdf", b"%PDF-1.4", "application/pdf")},
    )
    assert r.status_code == 422 and ("未导入" in r.text or "无法读取" in r.text)
    with Session(app_site.engine) as s:
        assert s.exec(select(MonthlyVolume)).all() == []
    r = mgmt.get("/management/export/report.pdf")
    assert r.status_code == 303 and flash(mgmt, r) == "err"
    r = mgmt.post(
        "/management/waivers",
        data={"window": "A01", "month": "2026-11", "key": "1:2026-11:x:1", "reason": "", "csrf": token},
    )
    assert flash(mgmt, r) == "err"  # a waiver needs its reason (R8)
    r = mgmt.post("/board/notes", data={"window": "Z99", "note": "x", "csrf": token})
    assert r.status_code == 404 and "找不到" in r.text


def test_r10_it_records_a_swap_at_its_real_time_on_the_devices_page(app_site: Site) -> None:
    """信息技术科 · 更正分配记录: preview first (nothing stored), then the swap from its real time, with a
    reason (R12); bad input gets a Chinese message and stores nothing."""

    from host import fleet
    from host.clock import local

    with Session(app_site.engine) as s:
        fleet.add_device(s, device_id="pad-spare", clock=app_site.clock, actor="t")
        s.commit()
    swap = app_site.clock.now_ms() + 10 * 60_000
    app_site.clock.advance(3_600_000)
    at = f"{local(swap):%Y-%m-%dT%H:%M:%S}"
    tech = app_site.login("tech")
    assert "更正分配记录" in tech.get("/it/devices").text
    token = csrf_of(tech, "/it/devices")
    form = {"at": at, "device": "pad-spare", "window": "A01", "reason": "换上备用机，pad-a01 送修",
            "csrf": token}
    preview = tech.post("/it/assignments/correct", data={**form, "preview": "1"})
    assert preview.status_code == 200 and "预览（未保存）" in preview.text and "pad-spare→A01" in preview.text
    with Session(app_site.engine) as s:
        assert s.exec(select(Assignment).where(Assignment.device_id == "pad-spare")).all() == []
    for bad, says in (({"reason": " "}, "必须写明原因"), ({"at": "昨天上午"}, "时间格式不对"),
                      ({"at": "2999-01-01T00:00:00"}, "不能晚于现在"), ({"device": ""}, "请选择"),
                      ({"window": "A02", "device": "pad-a01", "device2": "pad-spare", "window2": "A02"},
                       "更正未完成")):
        r = tech.post("/it/assignments/correct", data={**form, **bad})
        assert r.status_code == 303, bad
        shown = tech.get(r.headers["location"]).text
        assert 'class="flash err"' in shown and says in shown, bad
    r = tech.post("/it/assignments/correct", data=form)
    assert r.status_code == 303
    shown = tech.get(r.headers["location"]).text
    assert 'class="flash ok"' in shown and "已更正" in shown
    with Session(app_site.engine) as s:
        rows = s.exec(select(Assignment).order_by(col(Assignment.device_id))).all()
        assert [(a.device_id, a.end_ms == swap, a.start_ms == swap) for a in rows] == [
            ("pad-a01", True, False), ("pad-spare", False, True)]
    (entry,) = audited(app_site, "assignment.correct", "tech")
    assert entry.reason == "换上备用机，pad-a01 送修"
    page = tech.get("/it/devices").text
    assert "换上备用机" in page and "pad-spare→A01" in page
    clerk = app_site.login("clerk")
    r = clerk.post("/it/assignments/correct", data={**form, "csrf": csrf_of(clerk, "/windows/A01")})
    assert r.status_code == 403
    assert len(audited(app_site, "assignment.correct", "clerk")) == 0


def test_r11_management_report_of_a_closed_month_lists_a_late_correction(app_site: Site) -> None:
    """November closed, then IT records a swap of 11-26: the fed-back report stays and says so."""
    from host import corrections, fleet
    from host.scoring.months import close_month

    swap = app_site.clock.now_ms() + 3_600_000
    app_site.clock.advance(7 * 86_400_000)             # December
    with Session(app_site.engine) as s:
        fleet.add_device(s, device_id="pad-spare", clock=app_site.clock, actor="t")
        s.commit()
        close_month(s, "2026-11", app_site.clock, by="mgmt", reason="11月考核")
        app_site.clock.advance(60_000)
        corrections.correct(s, moves=[corrections.Move("pad-spare", "A01")], at_ms=swap, clock=app_site.clock,
                            actor="tech", reason="补登换装")
    page = app_site.login("mgmt").get("/management?month=2026-11").text
    assert 'id="late-corrections"' in page and "pad-spare→A01" in page and "补登换装" in page


def test_it_replays_a_rejected_event_from_its_page_once_with_a_reason(db_url: str, tmp_path: Path) -> None:
    """信息技术科 · 拒收消息: a kept event is replayed once its cause is fixed (Delivery 5),
    never stored twice, and the replay is in the audit trail with who and why (R12)."""
    from host.ingest import store
    from host.models.events import RejectedMessage

    site = Site(tmp_path, url=db_url)
    site.clock.advance(60_000)                     # the pad has been on A01 for a minute
    try:
        event = messages.encode(messages.event("pad-a01", 33, 1, 500, site.clock.now_ms() - 1000, "eval",
                                               rating="satisfied", prompted=True))
        with Session(site.engine) as s:
            store.keep_rejected(s, [store.rejection("evalpad/v1/pad-a01/event", event, site.clock.now_ms(),
                                                    "host_error", "the host failed: KeyError('x')",
                                                    "pad-a01", 33)])
            s.commit()
            row_id = s.exec(select(RejectedMessage)).one().id
        tech = site.login("tech")
        page = tech.get("/it/rejected").text
        assert "主机处理出错" in page and f'name="ids" value="{row_id}"' in page
        token = csrf_of(tech, "/it/rejected")
        r = tech.post("/it/rejected/replay", data={"ids": str(row_id), "reason": "", "csrf": token})
        assert flash(tech, r) == "err"
        r = tech.post("/it/rejected/replay", data={"ids": str(row_id), "reason": "主机已修复", "csrf": token})
        assert r.status_code == 303
        shown = tech.get(r.headers["location"]).text
        assert 'class="flash ok"' in shown and "已重放 1 条" in shown
        r = tech.post("/it/rejected/replay", data={"ids": str(row_id), "reason": "再来一次", "csrf": token})
        assert "已重放 0 条" in tech.get(r.headers["location"]).text
        with Session(site.engine) as s:
            assert [e.seq for e in s.exec(select(Event)).all()] == [33]
        assert [(a.reason, a.detail["replayed"]) for a in audited(site, "rejected.replay", "tech")] == [
            ("主机已修复", 1), ("再来一次", 0)]
        assert tech.get("/it/rejected?show=all").status_code == 200
        assert site.login("clerk").post("/it/rejected/replay", data={"ids": str(row_id), "reason": "x",
                                                                     "csrf": token}).status_code == 403
    finally:
        site.engine.dispose()


def test_the_management_section_sees_an_open_flood_above_its_queue(app_site: Site) -> None:
    """Issue 10: a flood of evaluations (host.faults.flood) is shown on the violations page
    until IT resolves it; its evaluations are in the queue below as candidates."""
    with Session(app_site.engine) as s:
        wid = s.exec(select(Window.id).where(Window.number == "A01")).one()
        open_fault(s, source="host", code=EVAL_FLOOD, at_ms=1_795_600_000_000, now_ms=1_795_600_060_000,
                   device_id="pad-a01", window_id=wid, detail=FLOOD_TEXT.format(threshold=20))
        s.commit()
    page = app_site.login("mgmt").get("/management/violations?month=2026-11").text
    assert 'data-flood="pad-a01"' in page and "疑似脚本刷评" in page and "窗口 A01" in page


def test_the_management_section_is_told_of_sessions_that_cannot_be_judged(app_site: Site) -> None:
    """R10/R6: A01's pad ran boot 3 offline, without a clock; its events came with boot 4 and are
    dated after boot 4 began, which cannot be. The session served meanwhile is not judged for its
    prompt, and the violations page says so (无法核对) instead of showing nothing."""
    hour = 3_600_000
    t = 1_794_268_800_000                       # 2026-11-10 08:00 in Shanghai
    app_site.clock.set(t + 72 * hour)
    with Session(app_site.engine) as s:
        wid = s.exec(select(Window.id).where(Window.number == "A01")).one()

        def event(seq: int, boot: int, at_ms: int, derived: bool, svc: str) -> Event:
            body = messages.event("pad-a01", seq, boot, 60_000, None if derived else at_ms, "prompt", svc=svc,
                                  source="key")
            return Event(device_id="pad-a01", seq=seq, boot=boot, up_ms=60_000, type="prompt",
                         pad_ts_ms=body["ts"], at_ms=at_ms, time_derived=derived, received_ms=at_ms,
                         window_id=wid, svc=svc, body=body)

        s.add(event(1, 2, t, False, "S-2"))
        s.add(BootAnchor(device_id="pad-a01", boot=4, boot_ms=t + 48 * hour, from_clock=True))
        s.add(BootAnchor(device_id="pad-a01", boot=3, boot_ms=t + 48 * hour + 600_000, from_clock=False))
        s.add(event(2, 3, t + 48 * hour + 660_000, True, "S-3"))
        s.add(ServiceSession(window_id=wid, ticket="Q-0123", started_ms=t + 24 * hour,
                             ended_ms=t + 24 * hour + 600_000))
        s.commit()
    page = app_site.login("mgmt").get("/management/violations?month=2026-11").text
    assert 'data-testid="unjudged" data-window="A01"' in page
    assert "窗口 A01 有 1 笔业务无法核对是否提示评价" in page and "Q-0123" in page
    # The Excel export, kept as the month's record, carries them as a sheet of their own.
    xlsx = app_site.login("mgmt").get("/management/export/violations.xlsx?month=2026-11").content
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    assert book.sheetnames == ["违规审核", "无法核对"]
    cells = [[c for c in row if c is not None] for row in book["无法核对"].iter_rows(values_only=True)]
    assert cells[-1][:4] == ["A01 窗口A01", "Q-0123", "2026-11-11 08:00", "2026-11-11 08:10"], cells
    assert "无法核对" not in app_site.login("mgmt").get("/management/violations?month=2026-10").text
    # And on the window's own month page, where its deductions are read.
    window = app_site.login("mgmt").get("/management/windows/A01?month=2026-11").text
    assert 'data-testid="unjudged" data-window="A01"' in window and "Q-0123" in window
    assert "无法核对" not in app_site.login("mgmt").get("/management/windows/A02?month=2026-11").text

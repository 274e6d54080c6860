"""Passwords in the pages (issue 12): everyone changes their own; the admin resets one (audited,
with a reason), which ends the user's sessions and makes their next sign-in choose a new password
before any other page opens. Config: weekday check boxes, a least-privilege default role."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from host.models.audit import AuditEntry
from host.models.calendar import WindowSchedule
from host.models.users import User
from tests.web.harness import PASSWORD, Site, csrf_of, flash

NEW = "新的口令-水杉-2026"
TEMP = "临时口令-银杏-1234"


def test_everyone_changes_their_own_password(app_site: Site) -> None:
    for name in ("clerk", "guard", "tech", "mgmt", "boss"):
        c = app_site.login(name)
        token = csrf_of(c, "/account")
        r = c.post("/account/password",
                   data={"current": "wrong-password", "new": NEW, "again": NEW, "csrf": token})
        assert flash(c, r) == "err"
        r = c.post("/account/password",
                   data={"current": PASSWORD, "new": NEW, "again": NEW + "x", "csrf": token})
        assert flash(c, r) == "err"
        r = c.post("/account/password", data={"current": PASSWORD, "new": NEW, "again": NEW, "csrf": token})
        assert flash(c, r) == "ok", name
        app_site.login(name, password=NEW)                        # the new one signs in
    with Session(app_site.engine) as s:
        audits = s.exec(select(AuditEntry).where(AuditEntry.action == "user.password")).all()
        assert sorted(a.actor for a in audits) == ["boss", "clerk", "guard", "mgmt", "tech"]
        assert all(NEW not in (a.reason or "") and NEW not in str(a.detail) for a in audits)


def test_an_admin_reset_forces_a_new_password_at_the_next_sign_in(app_site: Site) -> None:
    clerk_before = app_site.login("clerk")
    boss = app_site.login("boss")
    token = csrf_of(boss, "/config/users")
    r = boss.post("/config/users/clerk/reset", data={"password": TEMP, "reason": "", "csrf": token})
    assert flash(boss, r) == "err"                                   # a reason is required
    r = boss.post("/config/users/clerk/reset",
                  data={"password": TEMP, "reason": "本人来电，已核实", "csrf": token})
    assert flash(boss, r) == "ok"
    assert clerk_before.get("/windows/A01").status_code == 303       # the old session has ended
    clerk = app_site.login("clerk", password=TEMP)
    for path in ("/windows/A01", "/board", "/"):                     # nothing else opens first
        r = clerk.get(path, follow_redirects=True)
        assert r.url.path == "/account" and "管理员已为您重置密码" in r.text, path
    token = csrf_of(clerk, "/account")
    r = clerk.post("/account/password", data={"current": TEMP, "new": NEW, "again": NEW, "csrf": token})
    assert r.status_code == 303
    assert clerk.get("/windows/A01").status_code == 200
    with Session(app_site.engine) as s:
        assert not s.exec(select(User).where(User.name == "clerk")).one().must_change_password
        reset = s.exec(select(AuditEntry).where(AuditEntry.action == "user.password_reset")).one()
        assert (reset.actor, reset.subject, reset.reason) == ("boss", "clerk", "本人来电，已核实")
    # Only the admin resets (host.auth.policy.USERS).
    mgmt = app_site.login("mgmt")
    r = mgmt.post("/config/users/clerk/reset", data={"password": TEMP, "reason": "x", "csrf": csrf_of(mgmt)})
    assert r.status_code == 403


def test_weekdays_are_check_boxes_and_the_default_role_is_the_least(app_site: Site) -> None:
    mgmt = app_site.login("mgmt")
    html = mgmt.get("/config").text
    assert re.findall(r'name="noon_duty_weekdays" value="(\d)"> (周.)', html) == [
        (str(i), d) for i, d in enumerate(("周一", "周二", "周三", "周四", "周五", "周六", "周日"))]
    r = mgmt.post("/config/schedules", data={"window": "A01", "noon_duty_weekdays": ["0", "2"],
                                             "closed_weekdays": ["6"], "reason": "午间值班",
                                             "csrf": csrf_of(mgmt)})
    assert flash(mgmt, r) == "ok"
    with Session(app_site.engine) as s:
        sc = s.exec(select(WindowSchedule)).one()
        assert (sc.noon_duty_weekdays, sc.closed_weekdays) == ("0,2", "6")
    assert "周一、周三" in mgmt.get("/config").text
    users = app_site.login("boss").get("/config/users").text
    first = re.search(r'<select name="role"><option value="(\w+)"', users)
    assert first is not None and first.group(1) == "patrol"           # preselected: the least privilege
    assert 'type="month"' not in app_site.login("boss").get("/management").text    # months read in Chinese

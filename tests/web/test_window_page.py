"""The window page (issue 12): actions only for the roles that may take them (host.auth.policy,
the one role table) and only those the pad's state allows; an offline pad says what to check and
how to report it; a time not today carries its date; a missing number says why."""

from __future__ import annotations

import re

from host.auth import policy
from host.auth.roles import Role
from tests.web.harness import Site, csrf_of, flash, pad_state
from tests.web.test_route_matrix import USER_OF

DAY_MS = 86_400_000


def _buttons(html: str) -> set[str]:
    return set(re.findall(r'name="kind" value="(\w+)"', html))


def test_only_the_roles_of_the_policy_see_the_pads_commands(app_site: Site) -> None:
    pad_state(app_site, online=True, mode="serving")
    for role, user in USER_OF.items():
        html = app_site.login(user).get("/windows/A01").text
        shown = _buttons(html)
        if role in policy.PAD_COMMANDS:     # staff "clerk" sits at A01
            assert shown == {"prompt", "pause"}, (role, shown)
        else:
            assert shown == set(), (role, shown)   # management and patrol: no buttons that say 无权访问
    # Management cannot send one either (the same table guards the action).
    mgmt = app_site.login("mgmt")
    r = mgmt.post("/windows/A01/commands", data={"kind": "pause", "csrf": csrf_of(mgmt, "/windows/A01")})
    assert r.status_code == 403 and not app_site.sent
    assert Role.MANAGEMENT not in policy.PAD_COMMANDS


def test_the_pads_state_chooses_the_actions(app_site: Site) -> None:
    clerk = app_site.login("clerk")
    pad_state(app_site, online=True, mode="paused")
    assert _buttons(clerk.get("/windows/A01").text) == {"resume"}
    token = csrf_of(clerk, "/windows/A01")
    r = clerk.post("/windows/A01/commands", data={"kind": "pause", "csrf": token})
    assert flash(clerk, r) == "err" and not app_site.sent          # already paused: refused, says why
    r = clerk.post("/windows/A01/commands", data={"kind": "resume", "csrf": token})
    assert flash(clerk, r) == "ok" and len(app_site.sent) == 1
    pad_state(app_site, online=True, mode="prompt")
    assert _buttons(clerk.get("/windows/A01").text) == {"pause"}


def test_an_offline_pad_gets_advice_not_buttons_and_its_time_carries_the_date(app_site: Site) -> None:
    three_days_ago = app_site.clock.now_ms() - 3 * DAY_MS
    pad_state(app_site, online=False, since_ms=three_days_ago)
    for user in ("clerk", "tech", "boss"):
        c = app_site.login(user)
        html = c.get("/windows/A01").text
        assert _buttons(html) == set(), user                    # no pause/resume for an offline pad
        assert 'data-testid="advice"' in html and "电源" in html and "报修" in html, user
        assert 'action="/windows/A01/faults"' in html, user    # and the way to report it
        assert re.search(r"自 \d{2}-\d{2} \d{2}:\d{2} 起", html), user   # not today: with its date
        r = c.post("/windows/A01/commands", data={"kind": "pause", "csrf": csrf_of(c, "/windows/A01")})
        assert flash(c, r) == "err"
    assert not app_site.sent
    pad_state(app_site, online=True, mode="serving")
    html = app_site.login("clerk").get("/windows/A01").text
    assert 'data-testid="advice"' not in html and "今日尚无评价，无法计算满意率" in html


def test_a_day_of_closures_is_one_group_waived_at_once_each_audited(app_site: Site) -> None:
    """25 closures of one day are one group with one reason box, not 25 rows with 25 boxes (R8, R12)."""
    from datetime import date, datetime, time

    from sqlmodel import Session, select

    from host.calendar import config as calendar
    from host.clock import RULES_TZ, local
    from host.models.audit import AuditEntry
    from host.models.fleet import Assignment
    from host.models.liveness import PowerInterval
    from host.models.waivers import Waiver

    clock = app_site.clock
    today = local(clock.now_ms()).date()
    first = date(today.year, today.month, 1)
    day = next(date(today.year, today.month, d) for d in range(2, 28)
               if date(today.year, today.month, d).weekday() < 5)
    with Session(app_site.engine) as s:
        calendar.declare_year(s, clock, today.year, by="t", reason="测试")
        for a in s.exec(select(Assignment).where(Assignment.device_id == "pad-a01")):
            a.start_ms = int(datetime.combine(first, time(0), RULES_TZ).timestamp() * 1000)
            s.add(a)
        t = int(datetime.combine(day, time(9), RULES_TZ).timestamp() * 1000)
        for i in range(6):       # off and on again, six times in one morning and afternoon
            start = t + i * 3_600_000 + (4 * 3_600_000 if i >= 3 else 0)
            s.add(PowerInterval(device_id="pad-a01", state="off", start_ms=start, end_ms=start + 900_000,
                                cause="will"))
        s.commit()
    mgmt = app_site.login("mgmt")
    month = today.strftime("%Y-%m")
    html = mgmt.get(f"/management/windows/A01?month={month}").text
    groups = re.findall(r'<details class="card dgroup" data-day="([\d-]+)" data-kind="(\w+)"', html)
    assert groups.count((day.isoformat(), "closure")) == 1, groups
    keys = re.findall(r'name="key" value="([^"]+)"', html)
    assert len(keys) >= 2 and html.count('name="reason"') == len(groups)
    token = csrf_of(mgmt, f"/management/windows/A01?month={month}")
    r = mgmt.post("/management/waivers/bulk", data={"window": "A01", "month": month, "key": keys, "reason": ""
                                                    , "csrf": token})
    assert flash(mgmt, r) == "err"                                   # a reason is required
    r = mgmt.post("/management/waivers/bulk",
                  data={"window": "A01", "month": month, "key": keys, "reason": "当日停电", "csrf": token})
    assert flash(mgmt, r) == "ok"
    with Session(app_site.engine) as s:
        assert sorted(w.key for w in s.exec(select(Waiver))) == sorted(keys)
        audits = s.exec(select(AuditEntry).where(AuditEntry.action == "waiver.create")).all()
        assert len(audits) == len(keys) and {a.reason for a in audits} == {"当日停电"}
        assert {a.actor for a in audits} == {"mgmt"}
    html = mgmt.get(f"/management/windows/A01?month={month}").text
    assert 'name="key"' not in html and "R8：管理科减免：当日停电" in html


def test_the_violation_queue_says_detection_runs_by_itself_and_when(app_site: Site) -> None:
    from host.faults.sweep import Sweeper

    mgmt = app_site.login("mgmt")
    assert "请点击“重新检测本月线索”" in mgmt.get("/management/violations").text   # no sweeper here
    sweeper = Sweeper(app_site.engine, app_site.clock)
    app_site.app.state.sweeper = sweeper        # as host.service does for `evalpad serve`
    assert "首次检测尚在进行" in mgmt.get("/management/violations").text
    sweeper.run_once()
    html = mgmt.get("/management/violations").text
    assert "系统每 1 分钟自动检测一次新线索，上次检测于" in html and "（新增 0 条）" in html

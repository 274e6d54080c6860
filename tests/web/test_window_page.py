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

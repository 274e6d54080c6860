"""One role policy for pages and API: who may read monthly scores, asked of both for every role."""

from __future__ import annotations

from sqlmodel import Session

from host.auth import policy
from host.auth.roles import Role
from host.auth.users import get_user, issue_token
from tests.web.harness import Site

USER_OF = {Role.ADMIN: "boss", Role.MANAGEMENT: "mgmt", Role.IT: "tech", Role.PATROL: "guard",
           Role.STAFF: "clerk"}
MONTH = "2026-11"


def test_pages_and_api_agree_on_who_reads_monthly_scores(app_site: Site) -> None:
    seen = {}
    for role, name in USER_OF.items():
        with Session(app_site.engine) as s:
            bearer = {"Authorization": "Bearer " + issue_token(s, get_user(s, name), clock=app_site.clock,
                                                                name="t", ttl_ms=3600_000)}
            s.commit()
        c = app_site.login(name)
        api_one = c.get(f"/api/v1/reports/months/{MONTH}/windows/A01", headers=bearer).status_code == 200
        page_one = "本月至今" in c.get("/windows/A01").text
        api_all = c.get(f"/api/v1/reports/months/{MONTH}", headers=bearer)
        page_all = c.get(f"/management?month={MONTH}").status_code == 200
        ok = api_all.status_code == 200
        windows = {w["window"]["number"] for w in api_all.json()["windows"]} if ok else set()
        assert api_one == page_one == (role in policy.MONTH_SCORES), (role, api_one, page_one)
        assert page_all == (windows == {"A01", "A02"}) == (role in policy.MONTH_SCORES_ALL_WINDOWS), role
        seen[role] = (api_one, windows)
    assert seen[Role.STAFF] == (True, {"A01"})            # staff: their own window only (R11)
    assert seen[Role.PATROL] == seen[Role.IT] == (False, set())

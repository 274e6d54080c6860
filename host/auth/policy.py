"""Who may do what: one table that both the REST API (host.api.deps) and the pages (host.web)
use, so the two never disagree. Staff are further held to their own window everywhere
(host.auth.roles.Principal.check_window; the pages' Viewer.may_act_on).

| name | who | what |
|---|---|---|
| MONTH_SCORES | admin, management; staff (own window) | monthly scores (月度考核); R11 feedback |
| MONTH_SCORES_ALL_WINDOWS | admin, management | read every window's scores (the 管理科 report) |
| REVIEW | admin, management | decide violations, waivers, month close/reopen, volume imports |
| FLEET | admin, it | pads, assignments, broker accounts, the fault log's work (R7, R10) |
| WINDOWS_EDIT | admin, management | windows, schedules, the calendar |
| USERS | admin | users and tokens |

Patrol and IT score no one, so they read no monthly scores, on the pages or through the API.
"""

from __future__ import annotations

from host.auth.roles import Role

MONTH_SCORES = (Role.ADMIN, Role.MANAGEMENT, Role.STAFF)
MONTH_SCORES_ALL_WINDOWS = (Role.ADMIN, Role.MANAGEMENT)
REVIEW = (Role.ADMIN, Role.MANAGEMENT)
FLEET = (Role.ADMIN, Role.IT)
WINDOWS_EDIT = (Role.ADMIN, Role.MANAGEMENT)
USERS = (Role.ADMIN,)

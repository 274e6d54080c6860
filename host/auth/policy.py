"""Who may do what: one table that the REST API (host.api.deps, its routes), the pages (host.web)
and the role tests read, so they never disagree. Staff are further held to their own window
everywhere (host.auth.roles.Principal.check_window; the pages' Viewer.may_act_on).

| name | who | what |
|---|---|---|
| EVERYONE | every role | the hall board, windows, pads and their live status, the fault log (read, report) |
| DESK | admin, management, it, staff | events, assignments, the queue-system hook (not patrol) |
| PAD_COMMANDS | admin, it, staff (own window) | commands to pads: what its keys do, and IT's |
| MONTH_SCORES | admin, management; staff (own window) | monthly scores (月度考核); R11 feedback |
| MONTH_SCORES_ALL_WINDOWS | admin, management | read every window's scores (the 管理科 report) |
| REVIEW | admin, management | decide violations, waivers, month close/reopen, volume imports |
| REPORT_VIOLATION | admin, management, patrol | flag an R6 candidate from a complaint or patrol |
| OVERSIGHT | admin, management, it | the audit trail, the fault summary, the configuration page |
| FLEET | admin, it | pads, assignments, broker accounts, the fault log's work (R7, R10), metrics |
| WINDOWS_EDIT | admin, management | windows, schedules, the calendar |
| USERS | admin | users and tokens |
| OWN_WINDOW | staff | the way to one's own window page |
| RECTIFY | admin, management, staff (own window) | 差评整改 and notes on a bad-review case (issue 16) |
| ALERTS | every role | the live 好差评 alerts (the hall board shows them) |

Bad-review cases (差评工单) are read like monthly scores (MONTH_SCORES); 回访 and closure are
REVIEW; the platform export of every evaluation is MONTH_SCORES_ALL_WINDOWS.

Patrol and IT score no one, so they read no monthly scores, on the pages or through the API.
"""

from __future__ import annotations

from host.auth.roles import ALL_ROLES, Role

EVERYONE = ALL_ROLES
DESK = (Role.ADMIN, Role.MANAGEMENT, Role.IT, Role.STAFF)
PAD_COMMANDS = (Role.ADMIN, Role.IT, Role.STAFF)
MONTH_SCORES = (Role.ADMIN, Role.MANAGEMENT, Role.STAFF)
MONTH_SCORES_ALL_WINDOWS = (Role.ADMIN, Role.MANAGEMENT)
REVIEW = (Role.ADMIN, Role.MANAGEMENT)
REPORT_VIOLATION = (Role.ADMIN, Role.MANAGEMENT, Role.PATROL)
OVERSIGHT = (Role.ADMIN, Role.MANAGEMENT, Role.IT)
FLEET = (Role.ADMIN, Role.IT)
WINDOWS_EDIT = (Role.ADMIN, Role.MANAGEMENT)
USERS = (Role.ADMIN,)
OWN_WINDOW = (Role.STAFF,)
RECTIFY = (Role.ADMIN, Role.MANAGEMENT, Role.STAFF)
ALERTS = ALL_ROLES

"""Roles and the principal a request acts as.

| role | who | in short |
|---|---|---|
| admin | the IT admin who installs evalpad | everything, users and tokens |
| management | 管理科 management section | reads everything, window records, queue hook |
| it | 信息技术科 IT section | pads, assignments, broker accounts, commands, replays |
| patrol | hall patrol | reads live status and windows |
| staff | one window's staff (bound to it) | own window only: its pad, events, commands, sessions |
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from host.errors import Forbidden


class Role(StrEnum):
    ADMIN = "admin"
    MANAGEMENT = "management"
    IT = "it"
    PATROL = "patrol"
    STAFF = "staff"


ALL_ROLES = tuple(Role)


@dataclass(frozen=True, slots=True)
class Principal:
    """The user a request or CLI call acts as; ``window_id`` is set only for staff.

    ``scope`` is the token's (host.auth.scopes); ``window_ids`` limits a queue token to its windows.
    """

    user_id: int | None
    name: str
    role: Role
    window_id: int | None = None
    scope: str = "full"
    window_ids: frozenset[int] | None = None

    @property
    def actor(self) -> str:
        """How the audit trail names this principal (R12)."""
        return self.name

    def check_window(self, window_id: int | None) -> None:
        """Staff act on their own window only; every other role on any window."""
        if self.role is Role.STAFF and (window_id is None or window_id != self.window_id):
            raise Forbidden("窗口工作人员只能操作自己的窗口",
                            "请用该窗口工作人员的账号登录，或联系信息技术科")
        if self.window_ids is not None and window_id not in self.window_ids:
            raise Forbidden("这个令牌只能操作发放时指定的窗口",
                            "请用该窗口的叫号系统令牌，或向系统管理员申请一个")

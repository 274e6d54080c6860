"""The sign-in throttle: growing delays after failed sign-ins, shared through the database.

Every way to sign in (the web form, POST /api/v1/auth/login) goes through ``begin``/``forgive``
(host.auth.signin). Three counters slow three attacks, each with its own allowance:

| key | attack it slows | free tries | then waits | up to |
|---|---|---|---|---|
| account + address | one client guessing one account | 5 | 1 s, 2 s, 4 s, ... | 15 min |
| account | many addresses guessing one account | 20 | 1 s, 2 s, 4 s, ... | 5 min |
| address | one client trying many accounts | 100 | 1 s, 2 s, 4 s, ... | 1 min |

A wait is never a lock: once it is over, one more try is allowed, and the counters leak (one
failure forgotten per ``leak_ms``), so someone who shares an address or whose name is being
guessed waits at most a few minutes and is never shut out. Behind a reverse proxy the
address is the client's only if the proxy is trusted (host.api.client_address).

Each try is counted *before* the password is checked and forgiven if it was right, so
parallel guesses cannot slip through together; counters change by compare-and-set, so
several host instances on one database share them (SQLite and PostgreSQL alike).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from host.errors import ServiceError
from host.models.users import LoginThrottle

log = logging.getLogger(__name__)

FIRST_WAIT_MS = 1000
FORGET_AFTER_MS = 86_400_000     # a counter untouched for a day has leaked away; drop its row
CAS_TRIES = 8                    # compare-and-set retries under contention before giving up


@dataclass(frozen=True, slots=True)
class Limit:
    free: int          # failures allowed before the first wait
    leak_ms: int       # one failure is forgotten per this much time
    cap_ms: int        # the longest wait


PAIR = Limit(free=5, leak_ms=10 * 60_000, cap_ms=15 * 60_000)
ACCOUNT = Limit(free=20, leak_ms=5 * 60_000, cap_ms=5 * 60_000)
ADDRESS = Limit(free=100, leak_ms=60_000, cap_ms=60_000)
T = LoginThrottle.__table__  # type: ignore[attr-defined]


class TooManyTries(ServiceError):
    """Too many failed sign-ins"""

    heading = "登录失败次数过多"

    status = 429
    kind = "throttled"

    def __init__(self, wait_ms: int) -> None:
        self.wait_s = max(1, -(-wait_ms // 1000))
        super().__init__(f"这个账号或这台电脑登录失败次数太多；"
                         f"{self.wait_s} 秒后才能再试",
                         "请稍等再用正确的密码登录（忘记密码可请系统管理员重置）")
        self.headers = {"Retry-After": str(self.wait_s)}


def wait_ms(limit: Limit, failures: int) -> int:
    """The wait after ``failures`` counted failures: none before the allowance is used up, then
    1 s after the last free one, doubling with each failure after it, up to the cap."""
    over = failures - limit.free
    if over < 0:
        return 0
    return min(limit.cap_ms, FIRST_WAIT_MS << min(over, 30))


def _digest(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Claim:
    """The counters one sign-in attempt was counted on (forgiven if the password was right)."""

    pair: str
    account: str
    address: str


def keys_for(account: str, address: str) -> Claim:
    name = account.strip().lower()[:256]          # "Boss" and "boss " are the same guess
    return Claim(pair=_digest("pair", f"{name}\n{address}"), account=_digest("acct", name),
                 address=_digest("addr", address))


def begin(engine: Engine, account: str, address: str, now_ms: int) -> Claim:
    """Count one sign-in attempt, or raise TooManyTries (nothing counted) if it must wait."""
    claim = keys_for(account, address)
    limits = {claim.pair: PAIR, claim.account: ACCOUNT, claim.address: ADDRESS}
    with engine.connect() as conn:
        rows = conn.execute(select(T.c.key, T.c.until_ms).where(T.c.key.in_(list(limits)))).all()
    waiting = max((until - now_ms for _, until in rows), default=0)
    if waiting > 0:
        log.info("sign-in throttled for %r from %s (%d ms to wait)", account[:64], address, waiting)
        raise TooManyTries(waiting)
    for key, limit in limits.items():
        waiting = _count(engine, key, limit, now_ms)
        if waiting > 0:                            # another attempt got there first
            raise TooManyTries(waiting)
    with engine.begin() as conn:
        conn.execute(delete(T).where(T.c.last_ms < now_ms - FORGET_AFTER_MS))
    return claim


def _count(engine: Engine, key: str, limit: Limit, now_ms: int) -> int:
    """Add one failure to ``key`` by compare-and-set; the wait if it is already waiting, else 0."""
    for _ in range(CAS_TRIES):
        with engine.begin() as conn:
            row = conn.execute(select(T.c.failures, T.c.last_ms, T.c.until_ms).where(T.c.key == key)).first()
            if row is None:
                try:
                    with conn.begin_nested():
                        conn.execute(T.insert().values(key=key, failures=1, last_ms=now_ms,
                                                       until_ms=now_ms + wait_ms(limit, 1)))
                    return 0
                except IntegrityError:
                    continue                        # inserted meanwhile by another attempt
            failures, last_ms, until_ms = row
            if until_ms > now_ms:
                return int(until_ms - now_ms)
            leaked = max(0, now_ms - last_ms) // limit.leak_ms
            n = max(0, failures - leaked) + 1
            done = conn.execute(update(T).where(T.c.key == key, T.c.failures == failures,
                                                T.c.last_ms == last_ms)
                                .values(failures=n, last_ms=now_ms, until_ms=now_ms + wait_ms(limit, n)))
            if done.rowcount == 1:
                return 0
    return FIRST_WAIT_MS                           # heavy contention on one key: that is an attack


def forgive(engine: Engine, claim: Claim) -> None:
    """The password was right: this attempt was no failure."""
    with engine.begin() as conn:
        conn.execute(delete(T).where(T.c.key == claim.pair))
        conn.execute(update(T).where(T.c.key.in_([claim.account, claim.address]), T.c.failures > 0)
                     .values(failures=T.c.failures - 1))

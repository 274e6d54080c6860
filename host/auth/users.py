"""Users and tokens: create, sign in, resolve a bearer token to a Principal.

No default password exists anywhere: the first admin is made with `evalpad user add NAME
--role admin` on the server itself, and every other account by an admin.
"""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

from host import audit
from host.auth.passwords import hash_password, new_token, token_digest, verify_password
from host.auth.roles import Principal, Role
from host.auth.scopes import Scope, api_scope, check_days
from host.clock import Clock
from host.errors import Conflict, Invalid, NotFound
from host.labels import ROLE
from host.models.fleet import Window
from host.models.users import ApiToken, User

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$")
LOGIN_TTL_MS = 12 * 3600 * 1000     # one working day and evening: staff sign in each morning
DAY_MS = 86_400_000


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise Invalid(f"没有角色 {role!r}", "角色只能是以下之一："
                      + "、".join(f"{r.value}（{ROLE[r.value]}）" for r in Role))


def create_user(session: Session, *, name: str, role: str, password: str | None, clock: Clock,
                actor: str, window_number: str | None = None, reason: str = "") -> User:
    """Add a user. ``password`` None makes a token-only machine client (e.g. the queue system)."""
    if not NAME_RE.match(name):
        raise Invalid(f"用户名 {name!r} 不合规定",
                      "用户名用 2-64 个字母、数字或 _ . @ -，以字母或数字开头")
    r = _role(role)
    window_id = None
    if r is Role.STAFF:
        if not window_number:
            raise Invalid("窗口工作人员必须属于一个窗口", "填写窗口号（--window A07）")
        win = session.exec(select(Window).where(Window.number == window_number)).first()
        if win is None:
            raise NotFound(f"窗口 {window_number!r} 不存在", "先添加窗口：evalpad window add")
        window_id = win.id
    elif window_number:
        raise Invalid(f"只有窗口工作人员才属于窗口，{ROLE[r.value]}（{r.value}）不属于", "去掉窗口号")
    if session.exec(select(User).where(User.name == name)).first() is not None:
        raise Conflict(f"用户 {name!r} 已存在", "换一个用户名")
    user = User(name=name, role=r.value, window_id=window_id,
                password_hash=hash_password(password) if password is not None else None,
                created_ms=clock.now_ms())
    session.add(user)
    session.flush()
    audit.record(session, at_ms=user.created_ms, actor=actor, action="user.add", subject=name,
                 reason=reason, role=r.value, window=window_number, token_only=password is None)
    session.commit()
    return user


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.name)))  # type: ignore[arg-type]


def get_user(session: Session, name: str) -> User:
    user = session.exec(select(User).where(User.name == name)).first()
    if user is None:
        raise NotFound(f"用户 {name!r} 不存在", "核对用户名；查看用户：evalpad user list")
    return user


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The enabled user with this name and password, or None (same cost either way)."""
    user = session.exec(select(User).where(User.name == name)).first()
    ok = verify_password(password, user.password_hash if user else None)
    if not ok or user is None or user.disabled_ms is not None:
        return None
    return user


def issue_token(session: Session, user: User, *, clock: Clock, name: str, ttl_ms: int | None,
                actor: str | None = None, reason: str = "", scope: str = Scope.FULL,
                windows: list[int] | None = None) -> str:
    """Create a token for ``user`` and return its secret (shown once, only the digest is kept).

    With ``actor`` the creation is audited (machine tokens); sign-ins are not changes.
    ``windows``: the window ids a ``queue`` token may act on.
    """
    assert user.id is not None
    secret = new_token()
    now = clock.now_ms()
    expires = now + ttl_ms if ttl_ms else None
    session.add(ApiToken(user_id=user.id, digest=token_digest(secret), name=name[:64], created_ms=now,
                         expires_ms=expires, scope=Scope(scope).value, windows=windows))
    if actor is not None:
        audit.record(session, at_ms=now, actor=actor, action="token.create", subject=user.name,
                     reason=reason, name=name, expires_ms=expires, scope=Scope(scope).value,
                     windows=windows)
    session.commit()
    return secret


def create_machine_token(session: Session, user: User, *, name: str, scope: str, windows: list[str],
                         days: int, clock: Clock, actor: str, reason: str = "") -> tuple[ApiToken, str]:
    """An API token for a machine client (CLI and API): a scope, an expiry, audited; the secret once."""
    sc = api_scope(scope)
    check_days(days)
    numbers = list(dict.fromkeys(w.strip() for w in windows if w.strip()))
    if sc is Scope.QUEUE and not numbers:
        raise Invalid("叫号系统令牌必须写明它管的窗口", "填写窗口号（--window A07）")
    if sc is not Scope.QUEUE and numbers:
        raise Invalid(f"只有叫号系统令牌（queue）才写窗口，{sc.value!r} 令牌不写", "去掉窗口号")
    ids = []
    for number in numbers:
        win = session.exec(select(Window).where(Window.number == number)).first()
        if win is None or win.id is None:
            raise NotFound(f"窗口 {number!r} 不存在", "核对窗口号；查看窗口：evalpad window list")
        ids.append(win.id)
    secret = issue_token(session, user, clock=clock, name=name, ttl_ms=days * DAY_MS, actor=actor,
                         reason=reason, scope=sc, windows=ids or None)
    session.flush()
    token = session.exec(select(ApiToken).where(ApiToken.digest == token_digest(secret))).one()
    session.commit()
    return token, secret


def window_numbers_of(session: Session, token: ApiToken) -> list[str]:
    """The window numbers a queue token may act on (empty for other scopes)."""
    if not token.windows:
        return []
    rows = session.exec(select(Window.id, Window.number).where(col(Window.id).in_(token.windows))).all()
    numbers = dict(rows)
    return [numbers.get(i, f"#{i}") for i in token.windows]


def principal_for_token(session: Session, secret: str, clock: Clock, *,
                        web: bool = False) -> Principal | None:
    """The principal a token stands for, or None if unknown, expired, revoked or disabled.

    ``web``: a browser session (scope web) is asked for; otherwise an API token (any other scope).
    Neither works in the other's place.
    """
    row = session.exec(select(ApiToken, User).join(User).where(
        ApiToken.digest == token_digest(secret))).first()
    if row is None:
        return None
    token, user = row
    now = clock.now_ms()
    if token.revoked_ms is not None or (token.expires_ms is not None and now >= token.expires_ms):
        return None
    if user.disabled_ms is not None or (token.scope == Scope.WEB) != web:
        return None
    return Principal(user_id=user.id, name=user.name, role=Role(user.role), window_id=user.window_id,
                     scope=token.scope, window_ids=frozenset(token.windows) if token.windows else None)


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(session.exec(select(ApiToken).where(ApiToken.user_id == user.id)
                             .order_by(ApiToken.id)))  # type: ignore[arg-type]


def revoke_token_id(session: Session, user: User, token_id: int, *, clock: Clock, actor: str,
                    reason: str = "") -> ApiToken:
    """Revoke one of ``user``'s tokens by its id (the secret is never stored, so never needed)."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(f"用户 {user.name} 没有编号为 {token_id} 的令牌",
                       "查看该用户的令牌：evalpad token list --user 用户名")
    if token.revoked_ms is None:
        token.revoked_ms = clock.now_ms()
        session.add(token)
        audit.record(session, at_ms=token.revoked_ms, actor=actor, action="token.revoke", subject=user.name,
                     reason=reason, token_id=token_id, name=token.name)
    session.commit()
    return token


def disable_user(session: Session, name: str, *, clock: Clock, actor: str, reason: str = "") -> User:
    """Disable a user: every token and password of theirs stops working at once (history stays)."""
    user = get_user(session, name)
    if user.disabled_ms is not None:
        raise Conflict(f"用户 {name} 已停用", "无需再操作")
    if user.name == actor:
        raise Conflict("不能停用自己的账号", "请另一位系统管理员操作")
    user.disabled_ms = clock.now_ms()
    session.add(user)
    audit.record(session, at_ms=user.disabled_ms, actor=actor, action="user.disable", subject=name,
                 reason=reason)
    session.commit()
    return user


def revoke_token(session: Session, secret: str, clock: Clock) -> bool:
    token = session.exec(select(ApiToken).where(ApiToken.digest == token_digest(secret))).first()
    if token is None or token.revoked_ms is not None:
        return False
    token.revoked_ms = clock.now_ms()
    session.add(token)
    session.commit()
    return True


def change_password(session: Session, name: str, *, current: str, new: str, clock: Clock) -> User:
    """A person changes their own password (they know the current one); clears a reset's
    must-change mark; audited without the password (R12); commits."""
    user = get_user(session, name)
    if user.disabled_ms is not None or not verify_password(current, user.password_hash):
        raise Invalid("当前密码不对", "输入您登录时用的密码")
    if new == current:
        raise Invalid("新密码与当前密码相同", "换一个不同的密码")
    user.password_hash = hash_password(new)
    user.must_change_password = False
    session.add(user)
    audit.record(session, at_ms=clock.now_ms(), actor=name, action="user.password", subject=name,
                 reason="本人修改密码")
    session.commit()
    return user


def reset_password(session: Session, name: str, *, new: str, clock: Clock, actor: str, reason: str) -> User:
    """An admin sets a temporary password for someone who lost theirs: the user's sessions end
    at once and their next sign-in must choose a new password; audited with the reason; commits."""
    if not reason.strip():
        raise Invalid("重置密码必须写明原因", "写明原因，如谁提出的、如何核实的身份")
    user = get_user(session, name)
    if user.disabled_ms is not None:
        raise Conflict(f"用户 {name} 已停用", "请改为新建一个账号")
    if user.password_hash is None:
        raise Conflict(f"用户 {name} 是只用令牌的接入程序，没有密码", "请改为给它发一个新令牌")
    now = clock.now_ms()
    user.password_hash = hash_password(new)
    user.must_change_password = True
    session.add(user)
    for t in session.exec(select(ApiToken).where(ApiToken.user_id == user.id,
                                                 col(ApiToken.revoked_ms).is_(None))):
        t.revoked_ms = now
        session.add(t)
    audit.record(session, at_ms=now, actor=actor, action="user.password_reset", subject=name,
                 reason=reason.strip())
    session.commit()
    return user


def must_change_password(session: Session, user_id: int | None) -> bool:
    user = session.get(User, user_id) if user_id is not None else None
    return bool(user is not None and user.must_change_password)

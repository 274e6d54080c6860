"""`evalpad user …` and `evalpad token …`: people, their roles, and API tokens for machine
clients. The first admin is made here (there is no default password); a token is printed once."""

from __future__ import annotations

from typing import Annotated

import typer

from host.auth.roles import Role
from host.auth.scopes import DEFAULT_DAYS as DEFAULT_TOKEN_DAYS
from host.auth.users import (
    create_machine_token,
    create_user,
    disable_user,
    get_user,
    list_tokens,
    list_users,
    revoke_token_id,
    window_numbers_of,
)
from host.cli.common import Reason, WindowOpt, actor, clock, fail, open_db, when
from host.cli.zh import Typer
from host.errors import Invalid
from host.labels import ROLE
from host.models.fleet import Window
from host.models.users import ApiToken

user_app = Typer(help="Users and their roles: add, list.", no_args_is_help=True)
token_app = Typer(help="API tokens for machine clients (e.g. the queue system).", no_args_is_help=True)


@user_app.command("add")
def user_add(name: str,
             role: Annotated[str, typer.Option("--role", help="admin, management, it, patrol or staff")],
             window: WindowOpt = None,
             token_only: Annotated[bool, typer.Option(
                 "--token-only", help="a machine client without password (use `token create`)")] = False,
             reason: Reason = "") -> None:
    """Add a user; asks for the password twice. The first admin is made this way (no default password)."""
    if role not in set(Role):     # say so before asking for a password
        raise fail(Invalid(f"没有角色 {role!r}", "角色只能是以下之一："
                     + "、".join(f"{r.value}（{ROLE[r.value]}）" for r in Role)))
    password = None
    if not token_only:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with open_db() as (_, session):
        create_user(session, name=name, role=role, password=password, clock=clock(), actor=actor(),
                    window_number=window, reason=reason)
        typer.echo(f"user {name} added as {role}" + (f" of window {window}" if window else ""))


@user_app.command("list")
def user_list() -> None:
    """List users and their roles."""
    with open_db() as (_, session):
        for u in list_users(session):
            win = session.get(Window, u.window_id) if u.window_id else None
            typer.echo(f"{u.name:<20} {u.role:<11} {win.number if win else '-':<8} "
                       f"{'disabled' if u.disabled_ms else ''}".rstrip())


@user_app.command("disable")
def user_disable(name: str, reason: Reason = "") -> None:
    """Disable a user: their password and every token stop working now (history stays)."""
    with open_db() as (_, session):
        disable_user(session, name, clock=clock(), actor=actor(), reason=reason)
        typer.echo(f"user {name} disabled")


def _token_line(t: ApiToken, windows: list[str]) -> str:
    """One token for `token list`: id, name, scope, windows, created, expiry or revocation (Chinese)."""
    if t.revoked_ms:
        state = f"{when(t.revoked_ms)} 已吊销"
    elif t.expires_ms is None:
        state = "永不到期（旧令牌，请换成会到期的新令牌）"
    else:
        state = f"{when(t.expires_ms)} 到期"
    return (f"{t.id:<6} {t.name:<16} {t.scope:<6} {','.join(windows) or '-':<10} "
            f"{when(t.created_ms)} 创建  {state}")


@token_app.command("list")
def token_list(user: Annotated[str, typer.Option("--user", "-u")]) -> None:
    """A user's tokens: id, name, scope, windows, created, expiry or revocation (never the secrets)."""
    with open_db() as (_, session):
        for t in list_tokens(session, get_user(session, user)):
            typer.echo(_token_line(t, window_numbers_of(session, t)))


@token_app.command("revoke")
def token_revoke(token_id: int, user: Annotated[str, typer.Option("--user", "-u")],
                 reason: Reason = "") -> None:
    """Revoke one token by its id (from `token list`)."""
    with open_db() as (_, session):
        revoke_token_id(session, get_user(session, user), token_id, clock=clock(), actor=actor(),
                        reason=reason)
        typer.echo(f"token {token_id} of {user} revoked")


@token_app.command("create")
def token_create(user: Annotated[str, typer.Option("--user", "-u", help="the user the token acts as")],
                 name: Annotated[str, typer.Option("--name", help="what it is for, e.g. queue")] = "api",
                 scope: Annotated[str, typer.Option(
                     "--scope", help="read: GET routes only; queue: the queue hook of --window only; "
                     "full: all the user's role allows")] = "read",
                 window: Annotated[list[str] | None, typer.Option(
                     "--window", "-w", help="a window a queue token may act on (repeat for more)")] = None,
                 days: Annotated[int, typer.Option("--days", min=1, help="expires after this many days")]
                 = DEFAULT_TOKEN_DAYS,
                 reason: Reason = "") -> None:
    """Create an API token with a scope and an expiry, and print it (once; only its digest is kept)."""
    with open_db() as (_, session):
        u = get_user(session, user)
        token, secret = create_machine_token(session, u, name=name, scope=scope, windows=window or [],
                                             days=days, clock=clock(), actor=actor(), reason=reason)
        windows = window_numbers_of(session, token)
        where = f"，窗口 {'、'.join(windows)}" if windows else ""
        typer.echo(f"已为 {user}（{u.role}）创建令牌：范围 {token.scope}{where}，{days} 天后到期"
                   f"（{when(token.expires_ms)} 到期）。令牌只显示这一次：")
        typer.echo(secret)

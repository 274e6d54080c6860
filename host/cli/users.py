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

user_app = Typer(help="用户及其角色：添加、列出、停用。", no_args_is_help=True)
token_app = Typer(help="供其他系统（如叫号系统）使用的 API 令牌。", no_args_is_help=True)


@user_app.command("add")
def user_add(name: Annotated[str, typer.Argument(help="用户名")],
             role: Annotated[str, typer.Option("--role", help="角色：admin|management|it|patrol|staff"
                                                "（系统管理员、管理科、信息技术科、巡查人员、窗口工作人员）")],
             window: WindowOpt = None,
             token_only: Annotated[bool, typer.Option(
                 "--token-only", help="供系统使用、不设密码的用户（再用 `token create` 发令牌）")] = False,
             reason: Reason = "") -> None:
    """添加用户，密码输入两次。第一个系统管理员也这样创建（没有默认密码）。"""
    if role not in set(Role):     # say so before asking for a password
        raise fail(Invalid(f"没有角色 {role!r}", "角色只能是以下之一："
                     + "、".join(f"{r.value}（{ROLE[r.value]}）" for r in Role)))
    password = None
    if not token_only:
        password = typer.prompt("密码", hide_input=True, confirmation_prompt="再输入一次密码")
    with open_db() as (_, session):
        create_user(session, name=name, role=role, password=password, clock=clock(), actor=actor(),
                    window_number=window, reason=reason)
        typer.echo(f"已添加用户 {name}，角色：{ROLE[role]}" + (f"，窗口 {window}。" if window else "。"))


@user_app.command("list")
def user_list() -> None:
    """列出用户及其角色。"""
    with open_db() as (_, session):
        for u in list_users(session):
            win = session.get(Window, u.window_id) if u.window_id else None
            typer.echo(f"{u.name:<20} {ROLE.get(u.role, u.role):<8} {win.number if win else '-':<8} "
                       f"{'已停用' if u.disabled_ms else ''}".rstrip())


@user_app.command("disable")
def user_disable(name: Annotated[str, typer.Argument(help="用户名")], reason: Reason = "") -> None:
    """停用用户：其密码和全部令牌立即失效（历史记录保留）。"""
    with open_db() as (_, session):
        disable_user(session, name, clock=clock(), actor=actor(), reason=reason)
        typer.echo(f"已停用用户 {name}。")


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
def token_list(user: Annotated[str, typer.Option("--user", "-u", help="用户名")]) -> None:
    """列出用户的令牌：编号、名称、范围、窗口、创建时间、到期或吊销时间（从不显示令牌本身）。"""
    with open_db() as (_, session):
        for t in list_tokens(session, get_user(session, user)):
            typer.echo(_token_line(t, window_numbers_of(session, t)))


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="令牌编号（见 `token list`）")],
                 user: Annotated[str, typer.Option("--user", "-u", help="用户名")],
                 reason: Reason = "") -> None:
    """按编号吊销一个令牌（编号见 `token list`）。"""
    with open_db() as (_, session):
        revoke_token_id(session, get_user(session, user), token_id, clock=clock(), actor=actor(),
                        reason=reason)
        typer.echo(f"已吊销用户 {user} 的令牌 {token_id}。")


@token_app.command("create")
def token_create(user: Annotated[str, typer.Option("--user", "-u", help="令牌代表的用户")],
                 name: Annotated[str, typer.Option("--name", help="用途名称，如 `queue`")] = "api",
                 scope: Annotated[str, typer.Option(
                     "--scope", help="范围：`read` 只能读取（GET）；"
                     "`queue` 只能调用 --window 所指窗口的叫号接口；"
                     "`full` 用户角色允许的全部操作")] = "read",
                 window: Annotated[list[str] | None, typer.Option(
                     "--window", "-w", help="`queue` 令牌可操作的窗口（可重复写多个）")] = None,
                 days: Annotated[int, typer.Option("--days", min=1, help="有效天数")]
                 = DEFAULT_TOKEN_DAYS,
                 reason: Reason = "") -> None:
    """创建有范围和有效期的 API 令牌并显示（只显示一次；主机只保存其摘要）。"""
    with open_db() as (_, session):
        u = get_user(session, user)
        token, secret = create_machine_token(session, u, name=name, scope=scope, windows=window or [],
                                             days=days, clock=clock(), actor=actor(), reason=reason)
        windows = window_numbers_of(session, token)
        where = f"，窗口 {'、'.join(windows)}" if windows else ""
        typer.echo(f"已为 {user}（{ROLE.get(u.role, u.role)}）创建令牌：范围 {token.scope}{where}，"
                   f"{days} 天后到期"
                   f"（{when(token.expires_ms)} 到期）。令牌只显示这一次：")
        typer.echo(secret)

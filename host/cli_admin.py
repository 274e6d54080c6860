"""`evalpad window|device|user|token …` and `evalpad backup`: the operator's side of the fleet.

Each command opens the configured database (migrating it first, which is idempotent),
calls the same service functions as the API (host.fleet, host.auth.users) and commits.
The actor in the audit trail is ``cli:<os user>`` (R12). Secrets are printed once.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from host import fleet
from host.auth.scopes import DEFAULT_DAYS as DEFAULT_TOKEN_DAYS
from host.clock import TIME_FORMS, SystemClock, local, parse_time
from host.errors import Invalid, ServiceError
from host.models.users import ApiToken
from host.settings import Settings

window_app = typer.Typer(help="Windows (窗口): add, list, retire.", no_args_is_help=True)
device_app = typer.Typer(
    help="Pads (评价器): add (with broker account), list, assign, correct, unassign, retire.",
    no_args_is_help=True)
user_app = typer.Typer(help="Users and their roles: add, list.", no_args_is_help=True)
broker_app = typer.Typer(help="The broker's own files (passwd, acl) for a Mosquitto run by systemd.",
                         no_args_is_help=True)
token_app = typer.Typer(help="API tokens for machine clients (e.g. the queue system).", no_args_is_help=True)

CLOCK = SystemClock()
Reason = Annotated[str, typer.Option("--reason", "-r", help="Why (kept in the audit trail, R12).")]
WindowOpt = Annotated[str | None, typer.Option("--window", "-w", help="window number, e.g. A07")]
AllOpt = Annotated[bool, typer.Option("--all", help="include retired ones")]
SinceOpt = Annotated[str | None, typer.Option(
    "--since", help="backdate the assignment, e.g. '2026-11-25 08:00' (Asia/Shanghai), only into a gap "
    "of the record: for a pad that sent events before it was registered")]


def time_ms(text: str | None, option: str) -> int | None:
    """An operator's time option -> Unix ms (host.clock.parse_time: seconds and ISO times, as the
    API takes them); a bad one is an Invalid naming the option and the forms that work."""
    if text is None:
        return None
    try:
        return parse_time(text)
    except ValueError as exc:
        raise Invalid(f"{option}: {exc}", f"for example {option} '2026-11-25 08:00:30'") from None


def load_settings() -> Settings:
    """Settings from EVALPAD_* and .env; a bad value exits 2 naming the variable."""
    from pydantic import ValidationError

    try:
        return Settings()  # type: ignore[call-arg]  # from EVALPAD_*
    except ValidationError as exc:
        typer.secho(f"error: bad setting: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=2)


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _fail(exc: ServiceError) -> typer.Exit:
    typer.secho(f"error: {exc.detail}", fg=typer.colors.RED, err=True)
    if exc.fix:
        typer.echo(f"  fix: {exc.fix}", err=True)
    return typer.Exit(code=1)


@contextmanager
def _db() -> Iterator[tuple[Settings, Session]]:
    """Settings, a migrated database and a session; service errors become a clear exit 1."""
    from host.db import make_engine, upgrade

    settings = load_settings()
    upgrade(settings.db_url)
    engine = make_engine(settings.db_url)
    try:
        with Session(engine) as session:
            try:
                yield settings, session
            except ServiceError as exc:
                session.rollback()
                raise _fail(exc)
    finally:
        engine.dispose()


def _broker_note(broker_dir: Path) -> None:
    from host.broker import accounts

    if accounts.running_pid(broker_dir) is None:
        typer.echo("note: no running Mosquitto reads these files: it takes "
                   "them when it starts, or run `systemctl reload evalpad-mosquitto`.")


def _when(ms: int | None) -> str:
    return local(ms).strftime("%Y-%m-%d %H:%M:%S") if ms is not None else "-"


# -- windows ---------------------------------------------------------------------------------

@window_app.command("add")
def window_add(number: str, name: Annotated[str, typer.Option("--name", help="e.g. 公安分局出入境")],
               department: Annotated[str, typer.Option("--department")] = "",
               category: Annotated[str, typer.Option("--category", help="e.g. police_traffic")] = "general",
               reason: Reason = "") -> None:
    """Add a window (number as printed on the counter, e.g. A07)."""
    with _db() as (_, session):
        win = fleet.add_window(session, number=number, name=name, department=department, category=category,
                               clock=CLOCK, actor=_actor(), reason=reason)
        session.commit()
        typer.echo(f"window {win.number} added: {win.name}")


@window_app.command("list")
def window_list(all_: AllOpt = False) -> None:
    """List windows and the pad on each."""
    with _db() as (_, session):
        for w in fleet.list_windows(session, include_retired=all_):
            pad = fleet.current_device(session, w)
            typer.echo(f"{w.number:<8} {w.name:<24} {w.category:<16} "
                       f"{pad.device_id if pad else '-':<16} {'' if w.active else 'retired'}".rstrip())


@window_app.command("retire")
def window_retire(number: str, reason: Reason = "") -> None:
    """Take a window out of service (its history stays)."""
    with _db() as (_, session):
        fleet.retire_window(session, number=number, clock=CLOCK, actor=_actor(), reason=reason)
        session.commit()
        typer.echo(f"window {number} retired")


# -- devices ------------------------------------------------------------------------------------

@device_app.command("add")
def device_add(device_id: str, window: WindowOpt = None, label: Annotated[str, typer.Option("--label")] = "",
               since: SinceOpt = None, reason: Reason = "") -> None:
    """Register a pad, create its broker account and print its credentials (once)."""
    from host.broker import accounts

    with _db() as (settings, session):
        fleet.add_device(session, device_id=device_id, window_number=window, label=label, clock=CLOCK,
                         actor=_actor(), reason=reason, since_ms=time_ms(since, "--since"))
        broker_dir = settings.data_dir / "broker"
        password = accounts.issue_pad_password(broker_dir, device_id, settings.mqtt_prefix)
        try:
            session.commit()
        except Exception:
            accounts.revoke_pad(broker_dir, device_id)
            raise
        typer.echo(f"device {device_id} registered" + (f" on window {window}" if window else ""))
        typer.echo("broker credentials (shown only now; put them on the pad's config):")
        typer.echo(f"  username: {device_id}")
        typer.echo(f"  password: {password}")
        if settings.mqtt_url:
            typer.echo("note: EVALPAD_MQTT_URL points at an external broker; add this account there too.")
        else:
            typer.echo(f"  (written to {broker_dir / accounts.PASSWD} and {broker_dir / accounts.ACL})")
            _broker_note(broker_dir)


@device_app.command("list")
def device_list(all_: AllOpt = False) -> None:
    """List pads with the window each sits on."""
    with _db() as (_, session):
        for v in fleet.list_devices(session, include_retired=all_):
            where = v.window.number if v.window else "-"
            retired = v.device.retired_ms
            state = f"retired {_when(retired)}" if retired else f"since {_when(v.since_ms)}"
            typer.echo(f"{v.device.id:<20} {where:<8} {state}")


@device_app.command("assign")
def device_assign(device_id: str, window: Annotated[str, typer.Option("--window", "-w")],
                  since: SinceOpt = None, reason: Reason = "") -> None:
    """Put a pad on a window from now on (R10); the pad already there is taken off."""
    with _db() as (_, session):
        a = fleet.assign(session, device_id=device_id, window_number=window, clock=CLOCK, actor=_actor(),
                         reason=reason, since_ms=time_ms(since, "--since"))
        session.commit()
        typer.echo(f"device {device_id} on window {window} since {_when(a.start_ms)}")


@device_app.command("correct")
def device_correct(
        moves: Annotated[list[str], typer.Argument(help="PAD=WINDOW for each pad that moved (PAD=-: onto no "
                                                        "window), e.g. w06=W07 w07=W06 for an exchange")],
        at: Annotated[str, typer.Option("--at", help=f"when they really moved: {TIME_FORMS}")],
        reason: Annotated[str, typer.Option("--reason", "-r", help="what happened (required, R12)")],
        preview: Annotated[bool, typer.Option("--preview", help="show what would change, store nothing")]
        = False) -> None:
    """Record a pad move after the fact at its real time (R10): events follow the corrected history."""
    from host import corrections

    with _db() as (settings, session):
        at_ms = time_ms(at, "--at")
        assert at_ms is not None
        r = corrections.correct(session, moves=corrections.parse_moves(moves), at_ms=at_ms, clock=CLOCK,
                                actor=_actor(), reason=reason, preview=preview)
        c = r.correction
        head = "preview (nothing stored)" if preview else f"correction #{c.id}"
        typer.echo(f"{head}: {corrections.moves_text(c.moves)} at {_when(c.at_ms)}")
        for word, rows in (("was", c.before), ("now", c.after)):
            for i in rows:
                typer.echo(f"  {word}: {i['device']:<12} {i['window']:<8} "
                           f"{_when(i['start_ms'])} .. {_when(i['end_ms'])}")
        for (a, b), n in sorted(r.moved.items()):
            typer.echo(f"  {n} event(s) re-attributed from window {a} to {b}")
        if r.unplaced:
            typer.echo(f"  {r.unplaced} event(s) now on no window: counted nowhere until a correction "
                       "places them")
        for m in r.closed_months:
            typer.echo(f"  month {m} is closed: its report stays as fed back and lists this correction "
                       f"(R11); it counts only after `evalpad month reopen {m}`")
        if r.review:
            typer.echo(f"  decided violation candidate(s) {', '.join(map(str, r.review))} rest on events "
                       "that moved: the management section should review them again")
        if preview:
            return
        done = corrections.settle(session.get_bind(), r, CLOCK, prefix=settings.mqtt_prefix)  # type: ignore[arg-type]
        typer.echo(f"  violation detection: {done.detected} new, {done.withdrawn} withdrawn; "
                   f"{done.replayed} held-back event(s) placed")


@device_app.command("corrections")
def device_corrections(device: Annotated[str | None, typer.Option("--device", "-d")] = None) -> None:
    """The assignment corrections recorded, newest first (who, when, why, what moved)."""
    from host import corrections

    with _db() as (_, session):
        for c in corrections.list_corrections(session, device_id=device):
            typer.echo(f"#{c.id:<4} {_when(c.at_ms)}  {corrections.moves_text(c.moves):<24} by {c.by} "
                       f"on {_when(c.recorded_ms)}, {len(c.moved)} event(s) moved: {c.reason}")


@device_app.command("unassign")
def device_unassign(device_id: str, reason: Reason = "") -> None:
    """Take a pad off its window (e.g. sent for repair)."""
    with _db() as (_, session):
        fleet.unassign(session, device_id=device_id, clock=CLOCK, actor=_actor(), reason=reason)
        session.commit()
        typer.echo(f"device {device_id} is on no window now")


@device_app.command("replay")
def device_replay(device_id: str) -> None:
    """Store the pad's held-back events (kept while it was unknown or on no window); see also
    `evalpad rejected`."""
    from sqlmodel import col, func, select

    from host.ingest.replay import replay_request
    from host.models.events import RejectedMessage

    with _db() as (settings, session):
        fleet.get_device(session, device_id)
        placed = replay_request(session.get_bind(), CLOCK, _actor(), device=device_id,  # type: ignore[arg-type]
                                prefix=settings.mqtt_prefix).replayed
        left = session.exec(select(func.count()).select_from(RejectedMessage).where(
            RejectedMessage.device_id == device_id, col(RejectedMessage.replayed_ms).is_(None))).one()
        typer.echo(f"{placed} held-back messages of {device_id} placed; {left} still held")


@device_app.command("retire")
def device_retire(device_id: str, reason: Reason = "") -> None:
    """Retire a pad for good: its assignment ends and its broker account is removed."""
    from host.broker import accounts

    with _db() as (settings, session):
        fleet.retire_device(session, device_id=device_id, clock=CLOCK, actor=_actor(), reason=reason)
        accounts.revoke_pad(settings.data_dir / "broker", device_id)   # first: fail closed (see the API)
        session.commit()
        typer.echo(f"device {device_id} retired; its broker account is removed")
        _broker_note(settings.data_dir / "broker")


@broker_app.command("host-account")
def broker_host_account(
    instance: Annotated[str | None, typer.Argument(
        help="the instance's name, e.g. host-2 (default: EVALPAD_INSTANCE, host-1)")] = None,
    port: Annotated[int, typer.Option("--port", help="the broker's loopback listener")] = 1883,
    env_file: Annotated[Path | None, typer.Option(
        "--env-file", help="write EVALPAD_INSTANCE and EVALPAD_MQTT_URL to this file (mode 0600) "
        "instead of printing the password")] = None,
) -> None:
    """Create (or replace) a host instance's broker account: user = client id = instance (host-1, …)."""
    from host.broker import accounts
    from host.broker.identity import HOST_ACCOUNT_FORM, is_host_account

    settings = load_settings()
    name = instance or settings.instance
    if not is_host_account(name):
        raise _fail(Invalid(f"主机实例名 {name!r} 不可用", f"请写成 {HOST_ACCOUNT_FORM}，例如 host-2"))
    broker_dir = settings.data_dir / "broker"
    password = accounts.issue_host_password(broker_dir, name, settings.mqtt_prefix)
    url = f"mqtt://{name}:{password}@127.0.0.1:{port}"
    typer.echo(f"主机实例 {name} 的代理账号已写入 {broker_dir / accounts.PASSWD}"
               f"（访问控制：{broker_dir / accounts.ACL}）")
    if env_file is not None:
        _write_private(env_file, f"EVALPAD_INSTANCE={name}\nEVALPAD_MQTT_URL={url}\n")
        typer.echo(f"EVALPAD_INSTANCE 和 EVALPAD_MQTT_URL 已写入 {env_file}（仅所有者可读写）")
    else:
        typer.echo("请把以下两行放进该实例的环境文件（密码只显示这一次）：")
        typer.echo(f"EVALPAD_INSTANCE={name}")
        typer.echo(f"EVALPAD_MQTT_URL={url}")
    _broker_note(broker_dir)


def _write_private(path: Path, text: str) -> None:
    """Create the file owner-only before the secret goes in (no moment where others may read it)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


# -- users and tokens ---------------------------------------------------------------------------

@user_app.command("add")
def user_add(name: str,
             role: Annotated[str, typer.Option("--role", help="admin, management, it, patrol or staff")],
             window: WindowOpt = None,
             token_only: Annotated[bool, typer.Option(
                 "--token-only", help="a machine client without password (use `token create`)")] = False,
             reason: Reason = "") -> None:
    """Add a user; asks for the password twice. The first admin is made this way (no default password)."""
    from host.auth.roles import Role
    from host.auth.users import create_user

    if role not in set(Role):     # say so before asking for a password
        raise _fail(Invalid(f"unknown role {role!r}", "use one of: " + ", ".join(r.value for r in Role)))
    password = None
    if not token_only:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with _db() as (_, session):
        create_user(session, name=name, role=role, password=password, clock=CLOCK, actor=_actor(),
                    window_number=window, reason=reason)
        session.commit()
        typer.echo(f"user {name} added as {role}" + (f" of window {window}" if window else ""))


@user_app.command("list")
def user_list() -> None:
    """List users and their roles."""
    from host.auth.users import list_users
    from host.models.fleet import Window

    with _db() as (_, session):
        for u in list_users(session):
            win = session.get(Window, u.window_id) if u.window_id else None
            typer.echo(f"{u.name:<20} {u.role:<11} {win.number if win else '-':<8} "
                       f"{'disabled' if u.disabled_ms else ''}".rstrip())


@user_app.command("disable")
def user_disable(name: str, reason: Reason = "") -> None:
    """Disable a user: their password and every token stop working now (history stays)."""
    from host.auth.users import disable_user

    with _db() as (_, session):
        disable_user(session, name, clock=CLOCK, actor=_actor(), reason=reason)
        session.commit()
        typer.echo(f"user {name} disabled")


def _token_line(t: ApiToken, windows: list[str]) -> str:
    """One token for `token list`: id, name, scope, windows, created, expiry or revocation (Chinese)."""
    if t.revoked_ms:
        state = f"{_when(t.revoked_ms)} 已吊销"
    elif t.expires_ms is None:
        state = "永不到期（旧令牌，请换成会到期的新令牌）"
    else:
        state = f"{_when(t.expires_ms)} 到期"
    return (f"{t.id:<6} {t.name:<16} {t.scope:<6} {','.join(windows) or '-':<10} "
            f"{_when(t.created_ms)} 创建  {state}")


@token_app.command("list")
def token_list(user: Annotated[str, typer.Option("--user", "-u")]) -> None:
    """A user's tokens: id, name, scope, windows, created, expiry or revocation (never the secrets)."""
    from host.auth.users import get_user, list_tokens, window_numbers_of

    with _db() as (_, session):
        for t in list_tokens(session, get_user(session, user)):
            typer.echo(_token_line(t, window_numbers_of(session, t)))


@token_app.command("revoke")
def token_revoke(token_id: int, user: Annotated[str, typer.Option("--user", "-u")],
                 reason: Reason = "") -> None:
    """Revoke one token by its id (from `token list`)."""
    from host.auth.users import get_user, revoke_token_id

    with _db() as (_, session):
        revoke_token_id(session, get_user(session, user), token_id, clock=CLOCK, actor=_actor(),
                        reason=reason)
        session.commit()
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
    from host.auth.users import create_machine_token, get_user, window_numbers_of

    with _db() as (_, session):
        u = get_user(session, user)
        token, secret = create_machine_token(session, u, name=name, scope=scope, windows=window or [],
                                             days=days, clock=CLOCK, actor=_actor(), reason=reason)
        windows = window_numbers_of(session, token)
        session.commit()
        where = f"，窗口 {'、'.join(windows)}" if windows else ""
        typer.echo(f"已为 {user}（{u.role}）创建令牌：范围 {token.scope}{where}，{days} 天后到期"
                   f"（{_when(token.expires_ms)} 到期）。令牌只显示这一次：")
        typer.echo(secret)


# -- backup ----------------------------------------------------------------------------------------

def backup(to: Annotated[Path | None, typer.Option("--to", help="directory; default <data_dir>/backups")]
           = None) -> None:
    """Copy the database to a timestamped file (SQLite online backup; PostgreSQL: prints pg_dump)."""
    from host.backup import BackupRefused, backup_database

    settings = load_settings()
    try:
        result = backup_database(settings.db_url, to or settings.data_dir / "backups", CLOCK)
    except BackupRefused as exc:
        typer.secho(f"error: {exc.detail}", fg=typer.colors.RED, err=True)
        typer.echo(exc.fix, err=True)
        raise typer.Exit(code=2)
    typer.echo(f"backup written: {result.path} ({result.bytes} bytes, integrity {result.integrity}, "
               f"{result.events} events)")


def register(app: typer.Typer) -> None:
    """Mount these commands on the `evalpad` app (host/cli.py)."""
    app.add_typer(window_app, name="window")
    app.add_typer(device_app, name="device")
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
    app.add_typer(broker_app, name="broker")
    app.command("backup")(backup)


if __name__ == "__main__":   # pragma: no cover
    sys.exit("run `evalpad`")

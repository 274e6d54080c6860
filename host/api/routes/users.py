"""Users and API tokens (admin only). The first admin comes from `evalpad user add`."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlmodel import Session

from host.api.deps import Admin, ClockDep, SessionDep
from host.api.params import Id
from host.api.schemas import Reason, TokenCreate, TokenOut, TokenPublic, UserCreate, UserPublic
from host.api.views import user_public
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
from host.models.users import ApiToken

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", response_model=list[UserPublic])
def users(who: Admin, session: SessionDep) -> list[UserPublic]:
    return [user_public(session, u) for u in list_users(session)]


@router.post("", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
def add_user(body: UserCreate, who: Admin, session: SessionDep, clock: ClockDep) -> UserPublic:
    user = create_user(session, name=body.name, role=body.role, password=body.password, clock=clock,
                       actor=who.actor, window_number=body.window, reason=body.reason)
    return user_public(session, user)


def _public(session: Session, t: ApiToken) -> TokenPublic:
    assert t.id is not None
    return TokenPublic(id=t.id, name=t.name, scope=t.scope, windows=window_numbers_of(session, t),
                       created_ms=t.created_ms, expires_ms=t.expires_ms, revoked_ms=t.revoked_ms)


@router.post("/{name}/tokens", response_model=TokenOut, status_code=status.HTTP_201_CREATED)
def add_token(name: str, body: TokenCreate, who: Admin, session: SessionDep, clock: ClockDep) -> TokenOut:
    """An API token for a machine client (e.g. the queue system: scope queue and its windows);
    it expires after `days` (default 90); the secret is shown once; the creation is audited."""
    token, secret = create_machine_token(session, get_user(session, name), name=body.name, scope=body.scope,
                                         windows=body.windows, days=body.days, clock=clock, actor=who.actor,
                                         reason=body.reason)
    windows = window_numbers_of(session, token)
    return TokenOut(token=secret, expires_ms=token.expires_ms, scope=token.scope, windows=windows)


@router.post("/{name}/disable", response_model=UserPublic)
def disable(name: str, body: Reason, who: Admin, session: SessionDep, clock: ClockDep) -> UserPublic:
    """Disable a user: their password and every token stop working now."""
    user = disable_user(session, name, clock=clock, actor=who.actor, reason=body.reason)
    return user_public(session, user)


@router.get("/{name}/tokens", response_model=list[TokenPublic])
def tokens(name: str, who: Admin, session: SessionDep) -> list[TokenPublic]:
    """The user's tokens with scope and expiry (never their secrets)."""
    return [_public(session, t) for t in list_tokens(session, get_user(session, name))]


@router.post("/{name}/tokens/{token_id}/revoke", response_model=TokenPublic)
def revoke(name: str, token_id: Id, body: Reason, who: Admin, session: SessionDep,
           clock: ClockDep) -> TokenPublic:
    t = revoke_token_id(session, get_user(session, name), token_id, clock=clock, actor=who.actor,
                        reason=body.reason)
    return _public(session, t)

"""Users and API tokens (admin only). The first admin comes from `evalpad user add`."""

from __future__ import annotations

from fastapi import APIRouter, status

from host.api.deps import Admin, ClockDep, SessionDep
from host.api.schemas import Reason, TokenCreate, TokenOut, TokenPublic, UserCreate, UserPublic
from host.api.views import user_public
from host.auth.users import (
    DAY_MS,
    create_user,
    disable_user,
    get_user,
    issue_token,
    list_tokens,
    list_users,
    revoke_token_id,
)

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", response_model=list[UserPublic])
def users(who: Admin, session: SessionDep) -> list[UserPublic]:
    return [user_public(session, u) for u in list_users(session)]


@router.post("", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
def add_user(body: UserCreate, who: Admin, session: SessionDep, clock: ClockDep) -> UserPublic:
    user = create_user(session, name=body.name, role=body.role, password=body.password, clock=clock,
                       actor=who.actor, window_number=body.window, reason=body.reason)
    session.commit()
    return user_public(session, user)


@router.post("/{name}/tokens", response_model=TokenOut, status_code=status.HTTP_201_CREATED)
def add_token(name: str, body: TokenCreate, who: Admin, session: SessionDep, clock: ClockDep) -> TokenOut:
    """An API token for a machine client (e.g. the queue system); the secret is shown once."""
    user = get_user(session, name)
    ttl = body.days * DAY_MS if body.days else None
    secret = issue_token(session, user, clock=clock, name=body.name, ttl_ms=ttl, actor=who.actor,
                         reason=body.reason)
    session.commit()
    return TokenOut(token=secret, expires_ms=clock.now_ms() + ttl if ttl else None)


@router.post("/{name}/disable", response_model=UserPublic)
def disable(name: str, body: Reason, who: Admin, session: SessionDep, clock: ClockDep) -> UserPublic:
    """Disable a user: their password and every token stop working now."""
    user = disable_user(session, name, clock=clock, actor=who.actor, reason=body.reason)
    session.commit()
    return user_public(session, user)


@router.get("/{name}/tokens", response_model=list[TokenPublic])
def tokens(name: str, who: Admin, session: SessionDep) -> list[TokenPublic]:
    """The user's tokens (never their secrets)."""
    return [TokenPublic(id=t.id, name=t.name, created_ms=t.created_ms, expires_ms=t.expires_ms,  # type: ignore[arg-type]
                        revoked_ms=t.revoked_ms) for t in list_tokens(session, get_user(session, name))]


@router.post("/{name}/tokens/{token_id}/revoke", response_model=TokenPublic)
def revoke(name: str, token_id: int, body: Reason, who: Admin, session: SessionDep,
           clock: ClockDep) -> TokenPublic:
    t = revoke_token_id(session, get_user(session, name), token_id, clock=clock, actor=who.actor,
                        reason=body.reason)
    session.commit()
    return TokenPublic(id=token_id, name=t.name, created_ms=t.created_ms, expires_ms=t.expires_ms,
                       revoked_ms=t.revoked_ms)

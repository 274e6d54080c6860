"""Signing in: name + password -> a bearer token for one working day."""

from __future__ import annotations

from fastapi import APIRouter, status

from host.api.deps import AnyUser, BearerDep, ClockDep, SessionDep
from host.api.schemas import LoginIn, TokenOut, UserPublic
from host.api.views import user_public
from host.auth.users import LOGIN_TTL_MS, authenticate, get_user, issue_token, revoke_token
from host.errors import Unauthorized

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", response_model=TokenOut)
def login(body: LoginIn, session: SessionDep, clock: ClockDep) -> TokenOut:
    """Public: exchange a user's name and password for a bearer token (valid 12 hours)."""
    user = authenticate(session, body.name, body.password)
    if user is None:
        raise Unauthorized("wrong name or password (or the user is disabled)",
                           "check both; an admin can list users with `evalpad user list`")
    secret = issue_token(session, user, clock=clock, name="login", ttl_ms=LOGIN_TTL_MS)
    session.commit()
    return TokenOut(token=secret, expires_ms=clock.now_ms() + LOGIN_TTL_MS)


@router.get("/me", response_model=UserPublic)
def me(who: AnyUser, session: SessionDep) -> UserPublic:
    """Who the token belongs to, with role and (for staff) window."""
    return user_public(session, get_user(session, who.name))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(who: AnyUser, session: SessionDep, clock: ClockDep, creds: BearerDep) -> None:
    """Revoke the token this request carries."""
    assert creds is not None          # AnyUser already refused a request without one
    revoke_token(session, creds.credentials, clock)
    session.commit()

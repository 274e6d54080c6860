"""Signing in: name + password -> a bearer token for one working day."""

from __future__ import annotations

from fastapi import APIRouter, status

from host.api.deps import AnyUser, BearerDep, ClientAddress, ClockDep, SessionDep
from host.api.schemas import LoginIn, TokenOut, UserPublic
from host.api.views import user_public
from host.auth.scopes import Scope
from host.auth.signin import sign_in
from host.auth.users import LOGIN_TTL_MS, get_user, revoke_token

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", response_model=TokenOut,
             responses={401: {"description": "wrong name or password"},
                        429: {"description": "too many failures: wait `Retry-After` seconds"}})
def login(body: LoginIn, session: SessionDep, clock: ClockDep, address: ClientAddress) -> TokenOut:
    """Public: exchange a user's name and password for a bearer token (valid 12 hours).

    Shares one throttle with the web sign-in: after failures each try must wait longer."""
    _, secret = sign_in(session, name=body.name, password=body.password, address=address, clock=clock,
                        token_name="login", ttl_ms=LOGIN_TTL_MS, scope=Scope.FULL)
    return TokenOut(token=secret, expires_ms=clock.now_ms() + LOGIN_TTL_MS, scope=Scope.FULL)


@router.get("/me", response_model=UserPublic)
def me(who: AnyUser, session: SessionDep) -> UserPublic:
    """Who the token belongs to, with role and (for staff) window."""
    return user_public(session, get_user(session, who.name))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(who: AnyUser, session: SessionDep, clock: ClockDep, creds: BearerDep) -> None:
    """Revoke the token this request carries."""
    assert creds is not None          # AnyUser already refused a request without one
    revoke_token(session, creds.credentials, clock)

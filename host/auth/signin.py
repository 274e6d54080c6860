"""Signing in with a password: the one way every path (web form, API) exchanges a user's name
and password for a token, behind the shared throttle (host.auth.throttle)."""

from __future__ import annotations

import logging

from sqlmodel import Session

from host.auth import throttle
from host.auth.users import authenticate, issue_token
from host.clock import Clock
from host.errors import Unauthorized
from host.models.users import User

log = logging.getLogger(__name__)


def sign_in(session: Session, *, name: str, password: str, address: str, clock: Clock, token_name: str,
            ttl_ms: int, scope: str) -> tuple[User, str]:
    """The user and a new token's secret; TooManyTries if this must wait, Unauthorized if wrong."""
    engine = session.get_bind()
    claim = throttle.begin(engine, name, address, clock.now_ms())   # type: ignore[arg-type]
    user = authenticate(session, name, password)
    if user is None:
        log.info("failed sign-in for %r from %s", name[:64], address)
        raise Unauthorized("用户名或密码不对（或该账号已停用）",
                           "请核对用户名和密码；连续输错几次后，每次重试都要多等一会儿")
    secret = issue_token(session, user, clock=clock, name=token_name, ttl_ms=ttl_ms, scope=scope)
    session.commit()
    throttle.forgive(engine, claim)                                  # type: ignore[arg-type]
    return user, secret

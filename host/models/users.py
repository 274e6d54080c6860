"""People and machines that may use the host: users with one role, and their API tokens.

Passwords are Argon2 hashes; tokens are stored only as a SHA-256 digest (see host.auth).
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Integer, String, false
from sqlmodel import Field, SQLModel


class User(SQLModel, table=True):
    """A person (or a machine client such as the queue system) with exactly one role.

    ``window_id`` binds a ``staff`` user to their window (窗口); other roles leave it empty.
    """

    # "user" is a reserved word in PostgreSQL (`SELECT * FROM user` shows the login role).
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=64)
    role: str = Field(max_length=16)                  # host.auth.roles.Role
    window_id: int | None = Field(default=None, foreign_key="window.id")
    password_hash: str | None = Field(default=None, max_length=256)  # None: token-only client
    created_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    disabled_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    # Set by an admin's password reset: the next sign-in must choose a new password first.
    must_change_password: bool = Field(default=False, sa_column=Column(Boolean, nullable=False,
                                                                       server_default=false()))


class ApiToken(SQLModel, table=True):
    """A secret of one user: an API login, a machine token, or a web session (host.auth.scopes).

    ``scope`` limits what it may do beyond the user's role; ``windows`` names the window ids a
    ``queue`` token may act on. Tokens made before scopes existed are ``full`` and may lack an expiry.
    """

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    digest: str = Field(index=True, unique=True, max_length=64)   # sha256 hex of the secret
    name: str = Field(default="", max_length=64)                  # "login" or what it is for
    created_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    expires_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    revoked_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    scope: str = Field(default="full", sa_column=Column(String(16), nullable=False, server_default="full"))
    windows: list[int] | None = Field(default=None, sa_column=Column(JSON))


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins per key (account, client address, or both), shared by every host instance.

    ``key`` is a digest ("acct:…", "addr:…", "pair:…" hashed) so the table holds no names or
    addresses; ``until_ms`` is when the next try is allowed (host.auth.throttle).
    """

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=64)
    failures: int = Field(sa_column=Column(Integer, nullable=False))
    last_ms: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    until_ms: int = Field(sa_column=Column(BigInteger, nullable=False))

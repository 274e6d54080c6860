"""People and machines that may use the host: users with one role, and their API tokens.

Passwords are Argon2 hashes; tokens are stored only as a SHA-256 digest (see host.auth).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column
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


class ApiToken(SQLModel, table=True):
    """A bearer token of one user: a login session (expires) or a machine token (may not)."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    digest: str = Field(index=True, unique=True, max_length=64)   # sha256 hex of the secret
    name: str = Field(default="", max_length=64)                  # "login" or what it is for
    created_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    expires_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    revoked_ms: int | None = Field(default=None, sa_column=Column(BigInteger))

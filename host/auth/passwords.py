"""Password hashing (Argon2id via pwdlib) and API token secrets.

Passwords are low-entropy, so they get Argon2 (slow on purpose). Tokens are 256 random
bits, so a SHA-256 digest is enough to store them safely and lets every request be checked
with one indexed lookup instead of an Argon2 verification (tens of milliseconds each).
"""

from __future__ import annotations

import hashlib
import secrets

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from host.errors import Invalid

MIN_PASSWORD_LEN = 10          # NIST SP 800-63B asks for at least 8; people here share a hall
TOKEN_PREFIX = "ep_"           # recognisable in logs and secret scanners
TOKEN_BYTES = 32               # 256 bits: guessing is hopeless, so a fast digest is safe

_hasher = PasswordHash((Argon2Hasher(),))
# Verified against when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LEN:
        raise Invalid(f"密码只有 {len(password)} 位，至少要 {MIN_PASSWORD_LEN} 位",
                      "换一个更长的密码（几个词连在一起就很好）")


def hash_password(password: str) -> str:
    check_password_strength(password)
    return _hasher.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    if hashed is None:
        _hasher.verify(password, _DUMMY_HASH)
        return False
    return _hasher.verify(password, hashed)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()

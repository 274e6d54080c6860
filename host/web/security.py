"""Sessions, CSRF and one-time messages of the web pages (网页登录安全).

A browser session is an opaque random id in an HTTP-only, SameSite=Lax cookie (``Secure``
unless the host runs in development mode). The server keeps only its digest, as a token of
scope ``web`` (host.auth.scopes): the API refuses it, and logging out, an admin disabling the
user, or the 12 hours running out ends it at once. The CSRF token is an HMAC of the session
id with the site key (session-bound): every POST carries it in the ``csrf`` form field or the
``X-CSRF-Token`` header.

Messages after an action (“已关账”, “减免必须填写原因”) travel in a short-lived cookie signed
with the site key, never in the URL: nobody can make an official-looking banner say
something of their choosing with a link.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

log = logging.getLogger(__name__)

COOKIE = "evalpad_session"
FLASH_COOKIE = "evalpad_flash"
FLASH_MAX_AGE_S = 60          # shown on the page the redirect leads to, seconds later
FLASH_MAX_CHARS = 600         # a cookie is at most 4 KB; a message is a sentence or two
KEY_FILE = "web-session.key"  # in data_dir: survives restarts so CSRF tokens do too
KEY_BYTES = 32
FLASH_KINDS = ("ok", "err")


def load_key(data_dir: Path, given: str | None = None) -> bytes:
    """The site key: ``given`` (EVALPAD_WEB_KEY, hex, checked by host.settings), else the one
    created once (0600) in ``data_dir``."""
    if given:
        return bytes.fromhex(given)
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(KEY_BYTES))
        log.info("created the web session key %s", path)
    return bytes.fromhex(path.read_text().strip())


@dataclass(frozen=True)
class CookieJar:
    """Reads the session cookie, derives the session's CSRF token, signs one-time messages."""

    key: bytes
    secure: bool

    @staticmethod
    def session_id(cookie: str | None) -> str | None:
        """The session id in a cookie (opaque; the database says whether it is valid)."""
        return cookie if cookie and len(cookie) <= 128 else None

    def csrf_for(self, session_id: str) -> str:
        return hmac.new(self.key, b"csrf:" + session_id.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, session_id: str, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(self.csrf_for(session_id), given or "")

    def _flash_signer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.key, salt="evalpad-web-flash")

    def flash(self, kind: str, text: str) -> str:
        """A cookie value carrying one message of ``kind`` (ok or err)."""
        assert kind in FLASH_KINDS
        return self._flash_signer().dumps([kind, text[:FLASH_MAX_CHARS]])

    def read_flash(self, cookie: str | None) -> tuple[str, str] | None:
        """(kind, text) of a message this host signed in the last minute, else None."""
        if not cookie:
            return None
        try:
            data = self._flash_signer().loads(cookie, max_age=FLASH_MAX_AGE_S)
        except BadSignature:                         # also: expired
            return None
        ok = isinstance(data, list) and len(data) == 2 and data[0] in FLASH_KINDS and isinstance(data[1], str)
        return (data[0], data[1]) if ok else None

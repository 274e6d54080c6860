"""Sessions, CSRF and login throttling of the web pages (网页登录安全).

A browser session is an ordinary login token (host.auth.users.issue_token, named "web"), kept
in a signed, HTTP-only, SameSite=Lax cookie. Because the token lives in the database, logging
out, an admin disabling the user, or the token expiring ends the session at once, exactly as
for the REST API. The CSRF token is an HMAC of the session's token with the site key
(session-bound): every POST must carry it in the ``csrf`` form field or ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, URLSafeSerializer

log = logging.getLogger(__name__)

COOKIE = "evalpad_session"
KEY_FILE = "web-session.key"  # in data_dir: survives restarts so sessions do too
KEY_BYTES = 32
# Login throttling: a person mistypes a few times; a guesser tries thousands. Five failures
# per user name in five minutes, then a wait, stops guessing one account cold. Per client
# address the limit is higher: a whole hall may sit behind one NAT address.
MAX_FAILURES = 5
MAX_ADDRESS_FAILURES = 30
FAILURE_WINDOW_MS = 5 * 60_000
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def load_key(data_dir: Path) -> bytes:
    """The site key, created once (0600) in ``data_dir``; EVALPAD_WEB_KEY (hex) overrides it."""
    env = os.environ.get("EVALPAD_WEB_KEY")
    if env:
        return bytes.fromhex(env)
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(KEY_BYTES))
        log.info("created the web session key %s", path)
    return bytes.fromhex(path.read_text().strip())


def cookie_secure_default(http_host: str) -> bool:
    """Secure cookies unless the host only listens on loopback (plain-http localhost).

    EVALPAD_WEB_COOKIE_SECURE=1/0 overrides (e.g. behind a TLS reverse proxy on loopback: 1).
    """
    env = os.environ.get("EVALPAD_WEB_COOKIE_SECURE")
    if env is not None:
        return env.strip().lower() in ("1", "true", "yes")
    return http_host not in LOOPBACK


@dataclass(frozen=True)
class CookieJar:
    """Signs and reads the session cookie; derives the session's CSRF token."""

    key: bytes
    secure: bool

    def _signer(self) -> URLSafeSerializer:
        return URLSafeSerializer(self.key, salt="evalpad-web-session")

    def dump(self, token: str) -> str:
        return self._signer().dumps({"t": token})

    def load(self, cookie: str | None) -> str | None:
        """The login token in a cookie, or None if absent or tampered with."""
        if not cookie:
            return None
        try:
            data = self._signer().loads(cookie)
        except BadSignature:
            return None
        token = data.get("t") if isinstance(data, dict) else None
        return token if isinstance(token, str) else None

    def csrf_for(self, token: str) -> str:
        return hmac.new(self.key, b"csrf:" + token.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, token: str, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(self.csrf_for(token), given or "")


class LoginThrottle:
    """Counts failed logins per key ("name:<user>" or "addr:<ip>"), in memory, per process."""

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        max_address_failures: int = MAX_ADDRESS_FAILURES,
        window_ms: int = FAILURE_WINDOW_MS,
    ) -> None:
        self.max_failures = max_failures
        self.max_address_failures = max_address_failures
        self.window_ms = window_ms
        self._failures: dict[str, deque[int]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now_ms: int) -> deque[int]:
        q = self._failures.setdefault(key, deque())
        while q and q[0] <= now_ms - self.window_ms:
            q.popleft()
        return q

    def wait_ms(self, keys: tuple[str, ...], now_ms: int) -> int:
        """How long these keys must still wait (0: may try now)."""
        with self._lock:
            # Waits until the oldest of the last `limit` failures leaves the window.
            waits = [
                q[-self._limit(k)] + self.window_ms - now_ms
                for k in keys
                if len(q := self._recent(k, now_ms)) >= self._limit(k)
            ]
        return max(waits, default=0)

    def _limit(self, key: str) -> int:
        return self.max_address_failures if key.startswith("addr:") else self.max_failures

    def failed(self, keys: tuple[str, ...], now_ms: int) -> None:
        with self._lock:
            for k in keys:
                self._recent(k, now_ms).append(now_ms)

    def succeeded(self, name_key: str) -> None:
        with self._lock:
            self._failures.pop(name_key, None)

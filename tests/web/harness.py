"""A fast harness for the pages without a browser: the real app on a migrated SQLite file,
a manual clock, two windows with a pad on A01, and one user per role (all with PASSWORD)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from host import fleet
from host.app import create_app
from host.auth.passwords import hash_password
from host.auth.users import create_user
from host.clock import ManualClock
from host.db import make_engine, upgrade
from host.models.liveness import DeviceStatus
from host.settings import Settings

T0 = 1_795_600_000_000
PASSWORD = "一二三四五六七八九十-pw"


_MIGRATED: list[Path] = []  # one migrated SQLite file per test process, copied per test


def _migrated_copy(target: Path) -> None:
    if not _MIGRATED:
        template = Path(tempfile.mkdtemp(prefix="evalpad-web-")) / "template.db"
        upgrade(f"sqlite:///{template}")
        _MIGRATED.append(template)
    shutil.copyfile(_MIGRATED[0], target)


def _password_hash() -> str:
    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]


_HASH: list[str] = []


class Site:
    def __init__(self, tmp: Path, url: str | None = None, mode: str = "production") -> None:
        if url is None:
            url = f"sqlite:///{tmp / 'evalpad.db'}"
            _migrated_copy(tmp / "evalpad.db")
        else:
            upgrade(url)
        self.engine = make_engine(url)
        self.clock = ManualClock(T0)
        settings = Settings(data_dir=tmp, database_url=url, mode=mode)  # type: ignore[call-arg]
        self.sent: list[tuple[str, bytes]] = []
        self.app = create_app(
            settings,
            self.engine,
            self.clock,
            lambda topic, payload, qos=1, retain=False: self.sent.append((topic, payload)),
        )
        with Session(self.engine) as s:
            for number in ("A01", "A02"):
                fleet.add_window(s, number=number, name=f"窗口{number}", clock=self.clock, actor="t")
            fleet.add_device(s, device_id="pad-a01", window_number="A01", clock=self.clock, actor="t")
            for name, role, win in (
                ("boss", "admin", None),
                ("mgmt", "management", None),
                ("guard", "patrol", None),
                ("clerk", "staff", "A01"),
                ("tech", "it", None),
            ):
                user = create_user(
                    s, name=name, role=role, password=None, clock=self.clock, actor="t", window_number=win
                )
                user.password_hash = _password_hash()  # Argon2 is slow on purpose: hash once
                s.add(user)
            s.commit()

    def client(self, address: str = "testclient", raise_server_exceptions: bool = True) -> TestClient:
        """A browser behind the TLS proxy (Secure cookies), from ``address``."""
        return TestClient(self.app, base_url="https://testserver", follow_redirects=False,
                          client=(address, 50000), raise_server_exceptions=raise_server_exceptions)

    def login(self, name: str, password: str = PASSWORD, raise_server_exceptions: bool = True) -> TestClient:
        c = self.client(raise_server_exceptions=raise_server_exceptions)
        r = login_post(c, name=name, password=password)
        assert r.status_code == 303, r.text
        return c


def login_post(c: TestClient, **data: str) -> Any:
    """Post the login form as a browser does: with the token of the form it was given."""
    html = c.get("/login").text
    token = html.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    return c.post("/login", data={**data, "csrf": token})


def csrf_of(c: TestClient, path: str = "/board") -> str:
    html = c.get(path).text
    return html.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]


def flash(c: TestClient, r: Any) -> str:
    """What an action's redirect shows on the next page: "ok", "err" or "" (no message)."""
    assert r.status_code == 303, r.text
    page = c.get(r.headers["location"]).text
    for kind in ("ok", "err"):
        if f'class="flash {kind}"' in page:
            return kind
    return ""


def pad_state(site: Site, online: bool, mode: str | None = None, since_ms: int | None = None,
              device: str = "pad-a01") -> None:
    """The pad's live status as the ingest keeps it (host.ingest.liveness writes DeviceStatus)."""
    with Session(site.engine) as s:
        st = s.get(DeviceStatus, device) or DeviceStatus(device_id=device)
        st.online, st.mode = online, mode
        st.since_ms = since_ms if since_ms is not None else site.clock.now_ms()
        s.add(st)
        s.commit()

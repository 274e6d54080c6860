"""The web pages in a real browser: the real host app (API + pages + ingest) served by uvicorn on a
free port, a real Mosquitto, a migrated SQLite database, and Debian's Chromium driven by Playwright.

One server and one browser serve the whole module (starting them is the slow part); each test
opens its own browser context (fresh cookies) and logs in as the role it needs.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from host import fleet
from host.app import create_app
from host.auth.users import create_user
from host.clock import SystemClock
from host.db import make_engine, upgrade
from host.ingest.mqtt import BrokerAddress
from host.ingest.pipeline import IngestPipeline
from host.settings import Settings
from tests.conftest import Broker, _start_broker
from tests.support.services import missing
from tests.web.harness import Site as AppSite

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
PASSWORD = "水杉-" + secrets.token_hex(8)  # no default password: made up per run
WINDOWS = (
    ("A01", "公安分局出入境", "pad-a01"),
    ("A02", "社保医保综合", "pad-a02"),
    ("B03", "不动产登记", None),
)
USERS = (
    ("admin1", "admin", None),
    ("mgmt1", "management", None),
    ("it1", "it", None),
    ("patrol1", "patrol", None),
    ("staff1", "staff", "A01"),
    ("staff2", "staff", "A02"),
)
START_TIMEOUT_S = 15.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(cond: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@dataclass
class Site:
    url: str
    engine: Engine
    broker: Broker
    settings: Settings
    pad_passwords: dict[str, str] = field(default_factory=dict)

    def session(self) -> Session:
        return Session(self.engine)


def _serve(app: Any, port: int) -> tuple[Any, threading.Thread]:
    import uvicorn

    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", log_config=None, timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="web-uvicorn", daemon=True)
    thread.start()
    wait_for(lambda: server.started, START_TIMEOUT_S, "uvicorn to start")
    return server, thread


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The host as `evalpad serve` runs it: pages + API + ingest on one database and broker."""
    tmp = tmp_path_factory.mktemp("web")
    server = _start_broker(tmp / "broker")
    broker = Broker(server)
    url = f"sqlite:///{tmp / 'evalpad.db'}"
    upgrade(url)
    engine = make_engine(url)
    clock = SystemClock()
    settings = Settings(
        data_dir=tmp,
        database_url=url,
        instance=broker.host_user,  # type: ignore[call-arg]
        mode="development",  # plain http on 127.0.0.1, as `evalpad demo`
        mqtt_url=f"mqtt://{broker.host_user}:{broker.host_password}@{broker.host}:{broker.port}",
    )
    with Session(engine) as s:
        for number, name, pad in WINDOWS:
            fleet.add_window(s, number=number, name=name, clock=clock, actor="test")
            if pad:
                fleet.add_device(s, device_id=pad, window_number=number, clock=clock, actor="test")
        for name, role, window in USERS:
            create_user(
                s, name=name, role=role, password=PASSWORD, clock=clock, actor="test", window_number=window
            )
        s.commit()
    pipeline = IngestPipeline(
        settings,
        engine,
        clock,
        BrokerAddress(broker.host, broker.port, broker.host_user, broker.host_password),
    )
    pipeline.start()
    assert pipeline.client.connected.wait(10), "ingest did not connect"
    app = create_app(settings, engine, clock, pipeline.publish, broker_status=pipeline.connected)
    port = free_port()
    http, thread = _serve(app, port)
    try:
        yield Site(
            url=f"http://127.0.0.1:{port}",
            engine=engine,
            broker=broker,
            settings=settings,
            pad_passwords={pad: broker.add_pad(pad) for _, _, pad in WINDOWS if pad},
        )
    finally:
        http.should_exit = True
        thread.join(10)
        pipeline.stop()
        engine.dispose()
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium (never a downloaded browser); missing: skip locally, fail under CI=true."""
    if not os.path.exists(CHROMIUM):
        missing(f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk (./dev setup does)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright is not installed: pip install -e .[dev]")
        raise
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class Person:
    """One signed-in person in their own browser context."""

    def __init__(self, browser: Any, site: Site, name: str, width: int = 1366) -> None:
        self.site = site
        self.name = name
        self.context = browser.new_context(
            viewport={"width": width, "height": 860}, locale="zh-CN", accept_downloads=True
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)

    def login(self, password: str = PASSWORD) -> Any:
        p = self.page
        p.goto(self.site.url + "/login")
        p.fill("#name", self.name)
        p.fill("#password", password)
        p.click("button[type=submit]")
        p.wait_for_load_state()
        return p

    def goto(self, path: str) -> Any:
        self.page.goto(self.site.url + path)
        return self.page

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def csrf(self) -> str:
        return str(self.page.get_attribute('meta[name="csrf-token"]', "content"))

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def person(browser: Any, site: Site) -> Iterator[Callable[[str], Person]]:
    """``person("mgmt1")`` -> a logged-in Person; every context is closed after the test."""
    made: list[Person] = []

    def make(name: str, login: bool = True, width: int = 1366) -> Person:
        p = Person(browser, site, name, width)
        made.append(p)
        if login:
            p.login()
        return p

    yield make
    for p in made:
        p.close()


@pytest.fixture
def app_site(tmp_path: Path) -> Iterator[AppSite]:
    """The pages without a browser (tests.web.harness): fast checks of guards and actions."""
    s = AppSite(tmp_path)
    yield s
    s.engine.dispose()

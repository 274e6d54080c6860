"""``evalpad demo``: the host with its embedded defaults and a simulated hall, in real time.

The host runs as ``evalpad serve`` would (``host.service.run``: SQLite in the data directory,
Mosquitto started by the host, the web pages), in its own process. This process registers the
demo hall (idempotent: a second start adds nothing), gives every pad a broker account, makes
a demo login, and plays the hall on the real firmware until Ctrl-C. Everything stays in the
data directory for the next start; pads keep their unsent events on their simulated flash.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from sqlmodel import Session

from host.clock import ManualClock, SystemClock
from host.db import make_engine
from host.settings import Settings
from simulator.engine import HallEngine
from simulator.host_link import QueueFeed, accounts_in, pad_accounts, register_hall
from simulator.pad import SimPad
from simulator.run import HostProcess
from simulator.scenario import Scenario, load

log = logging.getLogger(__name__)

DEMO_SCENARIO = "demo-hall"
DEMO_USER = "demo"
DEMO_ROLE = "admin"                  # sees every page; the host listens on localhost only
LOGIN_FILE = "demo-login.txt"        # so a restart prints the same login
YEAR_MS = 365 * 86_400_000
STATUS_EVERY_S = 2.0


def demo_login(engine: object, data_dir: Path) -> tuple[str, str] | None:
    """The demo user (created once, password kept in the data directory), or None without auth."""
    try:
        from host.auth.users import create_user
        from host.models.users import User
    except ImportError:
        return None
    from sqlmodel import select

    path = data_dir / LOGIN_FILE
    with Session(engine) as s:  # type: ignore[arg-type]
        exists = s.exec(select(User).where(User.name == DEMO_USER)).first() is not None
        if exists and path.exists():
            return DEMO_USER, path.read_text().strip()
        if exists:
            return DEMO_USER, f"(set before; {path} is missing)"
        password = secrets.token_urlsafe(12)
        create_user(s, name=DEMO_USER, role=DEMO_ROLE, password=password, clock=SystemClock(),
                    actor="demo", reason="evalpad demo login")
        s.commit()
    path.write_text(password + "\n")
    path.chmod(0o600)
    return DEMO_USER, password


def _port_taken(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def choose_ports(settings: Settings, console: Console) -> tuple[Settings, dict[str, str]]:
    """The demo is one command: if the broker's or the web port is taken, use a free one and say so."""
    env: dict[str, str] = {}
    if settings.mqtt_url:
        raise SystemExit("evalpad demo 会自己启动消息代理：请先取消 EVALPAD_MQTT_URL 再运行")
    if _port_taken(settings.broker_port):
        port = _free_port()
        console.print(f"端口 {settings.broker_port} 已被占用（另一个 MQTT 消息代理？）；演示的消息代理改用 "
                      f"{port}（可用 EVALPAD_BROKER_PORT 指定）")
        env["EVALPAD_BROKER_PORT"] = str(port)
        settings = settings.model_copy(update={"broker_port": port})
    if _port_taken(settings.http_port):
        port = _free_port()
        console.print(f"端口 {settings.http_port} 已被占用；网页改用 {port}（可用 EVALPAD_HTTP_PORT 指定）")
        env["EVALPAD_HTTP_PORT"] = str(port)
        settings = settings.model_copy(update={"http_port": port})
    return settings, env


def _status(hall: HallEngine, pads: dict[str, SimPad], started: float) -> Table:
    t = Table.grid(padding=(0, 2))
    online = sum(p.connected for p in pads.values())
    evals = len(hall.truth.evals)
    t.add_row("在线评价器", f"{online} / {len(pads)}")
    t.add_row("已评价次数", str(evals))
    t.add_row("已运行", time.strftime("%H:%M:%S", time.gmtime(time.monotonic() - started)))
    return t


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def run_demo(settings: Settings, console: Console, sc: Scenario | None = None) -> None:
    sc = sc or load(DEMO_SCENARIO)
    # Ctrl-C and a service manager's SIGTERM both stop the demo cleanly (also when started from
    # a script, where SIGINT may arrive ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    data_dir = settings.data_dir.resolve()
    console.print(f"[bold]evalpad demo[/bold]：主机和一个有 {len(sc.hall.windows)} 个窗口的模拟大厅；"
                  f"数据在 {data_dir}")
    settings, env = choose_ports(settings, console)
    # The demo is plain http on this machine: cookies without Secure (development mode).
    env.setdefault("EVALPAD_MODE", os.environ.get("EVALPAD_MODE", "development"))
    host = HostProcess(env, data_dir, None, http=True, instance=settings.instance)
    pads: dict[str, SimPad] = {}
    hall: HallEngine | None = None
    runner: threading.Thread | None = None
    engine = make_engine(settings.db_url)
    try:
        with console.status("正在启动主机（数据库、Mosquitto、网页）……"):
            host.wait_started(engine)
        clock = SystemClock()
        new = register_hall(engine, sc, clock, actor="demo")
        passwords = pad_accounts(sc, accounts_in(data_dir / "broker", settings.mqtt_prefix))
        login = demo_login(engine, data_dir)
        for w in sc.hall.windows:
            dev = sc.device_of(w)
            pads[w.number] = SimPad(w.number, dev, data_dir / "sim" / dev,
                                    ("127.0.0.1", settings.broker_port), passwords[dev], sc.pads, w.name)
        now = clock.now_ms()
        sim_clock = ManualClock(now)
        feed = QueueFeed(engine, clock, lambda *a, **k: None)
        hall = HallEngine(sc, pads, sim_clock, start_ms=now, end_ms=now + YEAR_MS, speed=1.0,
                          on_service=feed, on_sync=feed.flush, on_at_start=True)
        def play() -> None:
            try:
                hall.run()
            except Exception:
                log.exception("the simulated hall stopped")
                raise

        runner = threading.Thread(target=play, name="hall", daemon=True)
        runner.start()
        url = f"http://{settings.http_host}:{settings.http_port}/board"
        lines = [f"大厅看板    [link={url}]{url}[/link]",
                 f"登录        {login[0]} / {login[1]}" if login else "登录        （这里没有账号）",
                 f"窗口        {len(sc.hall.windows)} 个（本次登记 {len(new)} 个，其余是以前登记的）",
                 f"主机日志    {host.log_path}",
                 "按 Ctrl-C 全部停止；数据保留，下次启动接着用。"]
        console.print(Panel("\n".join(lines), title="evalpad 演示运行中", border_style="green"))
        started = time.monotonic()
        with Live(_status(hall, pads, started), console=console, refresh_per_second=1) as live:
            while runner.is_alive() and host.proc.poll() is None:
                time.sleep(STATUS_EVERY_S)
                live.update(_status(hall, pads, started))
        if host.proc.poll() is not None:
            console.print(f"[red]主机已停止（退出码 {host.proc.returncode}）；请看 {host.log_path}[/red]")
        elif not runner.is_alive():
            console.print("[red]模拟大厅已停止（见上面的错误）[/red]")
    except KeyboardInterrupt:
        console.print("正在停止……")
    finally:
        if hall is not None:
            hall.stop()
        if runner is not None:
            runner.join(10)
        for p in pads.values():
            p.cut_power()
        host.stop()
        engine.dispose()
        console.print(f"已停止。数据保留在 {data_dir}；再运行 `evalpad demo` 会接着用。")

"""``evalpad simulate`` and ``evalpad demo``: the simulated hall (simulator/) on the real host."""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from host.cli.common import fail, load_settings
from host.cli.tables import fitted
from simulator import checker
from simulator import scenario as scenarios
from simulator.demo import run_demo
from simulator.run import simulate as play
from simulator.scenario import ScenarioError


def simulate(
    scenario: str = typer.Argument(..., help="场景文件，或自带场景的名称"
                                   "：qingpu-hall|small-month|three-days|tiny|demo-hall|five-level|"
                                   "goodbad-holiday。"),
    speed: float = typer.Option(0, "--speed", help="相对真实时间的倍速；0 表示主机跟得上多快就多快。"),
    workdir: Annotated[Path | None, typer.Option("--workdir", help="消息代理、数据库和评价器的工作目录"
                                                 "（默认用临时目录）。")] = None,
    truth: Annotated[Path | None, typer.Option("--truth", help="把真实结果写到这个文件（JSON）。")] = None,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="显示详细日志"),
) -> None:
    """模拟：用真实的评价器程序、消息代理和主机运行一个场景，再逐窗口把主机报表与真实结果对比。"""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    console = Console()
    try:
        sc = scenarios.load(scenario)
    except ScenarioError as exc:
        raise fail(exc, 2) from None
    work = workdir or Path(tempfile.mkdtemp(prefix="evalpad-sim-"))
    console.print(f"[bold]{sc.hall.name}[/bold]: {len(sc.hall.windows)} windows, "
                  f"{sc.period.start} to {sc.period.end}; work directory {work}")
    t0 = time.monotonic()
    total = sc.end_ms - sc.start_ms
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("simulating", total=total)
        out = play(sc, work, speed=speed or None,
                   progress=lambda now: progress.update(task, completed=now - sc.start_ms))
    wall = time.monotonic() - t0
    counts = out.truth.counts()
    console.print(f"simulated {out.stats.sim_ms / 86_400_000:.1f} days in {wall:.1f} s; "
                  f"{counts['eval']} evaluations, {out.events_stored} events stored "
                  f"({out.events_stored / wall:.0f} events/s); host CPU {out.host_cpu_s:.1f} s")
    for month, rows in out.rows.items():
        console.print(fitted(console, checker.render(rows, f"{month}: host report vs ground truth")))
        console.print(checker.summary(rows))
    for month, rows in out.national.items():       # 好差评 (a scenario's goodbad section)
        console.print(checker.render(rows, f"{month}: national statistics and overdue cases vs ground truth"))
        console.print(checker.summary(rows))
    if truth is not None:
        out.truth.save(truth)
        console.print(f"ground truth written to {truth}")


def demo() -> None:
    """演示：启动主机和一个按真实时间运行的模拟服务大厅，显示大厅看板和登录信息。

    使用主机内置的默认设置（./data 里的 SQLite，由主机启动 Mosquitto）。
    按 Ctrl-C 全部停止；数据保留到下次启动。"""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_demo(load_settings(), Console())

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
    console.print(f"[bold]{sc.hall.name}[/bold]：{len(sc.hall.windows)} 个窗口，"
                  f"{sc.period.start} 至 {sc.period.end}；工作目录 {work}")
    t0 = time.monotonic()
    total = sc.end_ms - sc.start_ms
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("模拟中", total=total)
        out = play(sc, work, speed=speed or None,
                   progress=lambda now: progress.update(task, completed=now - sc.start_ms))
    wall = time.monotonic() - t0
    counts = out.truth.counts()
    console.print(f"用 {wall:.1f} 秒模拟了 {out.stats.sim_ms / 86_400_000:.1f} 天：评价 {counts['eval']} 次，"
                  f"入库事件 {out.events_stored} 条（每秒 {out.events_stored / wall:.0f} 条）；"
                  f"主机占用 CPU {out.host_cpu_s:.1f} 秒")
    for month, rows in out.rows.items():
        console.print(fitted(console, checker.render(rows, f"{month}：主机报表与真实情况对照")))
        console.print(checker.summary(rows))
        if month in out.known and any(r.differences for r in rows):
            for line in checker.explain(rows, out.known[month], out.truth):
                console.print(line)
    for month, rows in out.national.items():       # 好差评 (a scenario's goodbad section)
        console.print(checker.render(rows, f"{month}：全国统计与超期件与真实情况对照"))
        console.print(checker.summary(rows))
    if truth is not None:
        out.truth.save(truth)
        console.print(f"真实情况已写入 {truth}")


def demo() -> None:
    """演示：启动主机和一个按真实时间运行的模拟服务大厅，显示大厅看板和登录信息。

    使用主机内置的默认设置（./data 里的 SQLite，由主机启动 Mosquitto）。
    按 Ctrl-C 全部停止；数据保留到下次启动。"""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_demo(load_settings(), Console())

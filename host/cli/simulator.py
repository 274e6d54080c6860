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
    scenario: str = typer.Argument(..., help="A scenario file, or the name of a shipped one "
                                   "(qingpu-hall, small-month, three-days, tiny, demo-hall, five-level, "
                                   "goodbad-holiday)."),
    speed: float = typer.Option(0, "--speed", help="Times real time; 0 = as fast as the host keeps up."),
    workdir: Annotated[Path | None, typer.Option("--workdir", help="Keep broker, database and pads "
                                                 "here (default: a temporary directory).")] = None,
    truth: Annotated[Path | None, typer.Option("--truth", help="Write the ground truth here (JSON).")] = None,
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Play a scenario on the real firmware, broker and host, then compare the host's report with
    the ground truth window by window (模拟)."""
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
    """Start the host and a simulated service hall in real time; print the hall board and a login.

    Uses the host's embedded defaults (SQLite in ./data, Mosquitto started by the host).
    Ctrl-C stops everything; the data stays for the next start."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_demo(load_settings(), Console())

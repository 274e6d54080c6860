"""What `evalpad` prints when its commands run speaks Chinese, as its help does.

The source of host/cli/ (and of simulator/demo.py and checker.py, which `evalpad demo` and
`evalpad simulate` print from) is read (AST) for the text handed to ``typer.echo``, ``typer.secho``,
``print``, ``console.print``, a Rich ``Table(title=…)``, ``Panel(title=…)``, ``add_column(…)``,
``add_row(…)``, ``console.status(…)`` and ``add_task(…)``: string literals and
the literal parts of f-strings (a ``{…}`` placeholder is a value, not a word). Such text passes by
the help test's rule (tests/cli/test_help_chinese.py: option names, EVALPAD_*, paths, codes and
its allow-list stay as they are), after Rich's markup tags (``[red]``, ``[/]``) are taken out.
Log lines (``logging``) are for developers and stay English; so do the keys of ``--json`` output,
which are not handed to these calls as literals.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from tests.cli.test_help_chinese import all_commands, english_left

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "host" / "cli"
# What `evalpad simulate` and `evalpad demo` print from the simulator.
SIMULATOR = [ROOT / "simulator" / "demo.py", ROOT / "simulator" / "checker.py"]
SHOWN_BY = {"echo", "secho", "print",          # typer.echo, typer.secho, print, console.print
            "add_row", "status", "add_task"}    # a table's cells, a spinner's and a progress bar's text
MARKUP = re.compile(r"\[/?[a-z #]*\]")          # Rich's [red] … [/], [bold yellow] … [/]
# A command to type (evalpad fleet update): evalpad and the names of its commands, nothing else.
NAMES = sorted({name for path, _ in all_commands() for name in path}, key=len, reverse=True)
COMMAND = re.compile(r"\bevalpad(?: (?:%s)(?![\w|-]))*" % "|".join(map(re.escape, NAMES)))


def _texts(node: ast.expr) -> Iterator[str]:
    """The literal text of an expression a command prints (placeholders blanked out)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.JoinedStr):
        yield "".join(v.value if isinstance(v, ast.Constant) else " " for v in node.values)
    elif isinstance(node, ast.BinOp):
        yield from _texts(node.left)
        yield from _texts(node.right)
    elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
          and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str)):
        yield re.sub(r"\{[^}]*\}", " ", node.func.value.value)        # "{} files".format(n)
    elif isinstance(node, ast.IfExp):
        yield from _texts(node.body)
        yield from _texts(node.orelse)


def _shown(call: ast.Call) -> list[ast.expr]:
    """The arguments of ``call`` a person reads, if it is one of the calls that print."""
    f = call.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    if name in SHOWN_BY:
        return list(call.args)
    if name in ("Table", "Panel"):
        return [k.value for k in call.keywords if k.arg in ("title", "caption")]
    if name == "add_column":
        return list(call.args[:1]) + [k.value for k in call.keywords if k.arg == "header"]
    return []


def english_printed(source: str, where: str = "") -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            for arg in _shown(node):
                for text in _texts(arg):
                    for line in COMMAND.sub(" ", MARKUP.sub(" ", text)).splitlines():
                        if words := english_left(line):
                            found.append(f"{where}:{node.lineno}: {line.strip()}  <- {' '.join(words)}")
    return found


def test_the_scan_catches_english_and_keeps_codes() -> None:
    src = '''
typer.echo(f"window {w.number} added")
typer.echo("{}: wrote {}".format(dev, path))
console.print(Panel(text, title="evalpad demo is running"))
typer.echo("推送：evalpad fleet update --release 1.0.0；evalpad violations confirm|dismiss 3")
typer.echo(f"已添加窗口 {w.number}（{w.hall}）。")
console.print(f"[red]迟到[/] 事件 {e['id']}，用 --since 或 EVALPAD_DB_URL，写入 reports/x.csv")
t = Table(title=f"{m} (final)")
t.add_column("window")
logger.info("window %s added", n)
'''
    assert sorted(f.split(": ", 1)[1] for f in english_printed(src)) == sorted([
        "window   added  <- window added", ": wrote  <- wrote", "is running  <- running",
        "(final)  <- final", "window  <- window"])


def test_what_the_cli_prints_is_chinese() -> None:
    paths = [p for p in sorted(CLI.glob("*.py")) if p.name != "zh.py"] + SIMULATOR
    found = [line for path in paths
             for line in english_printed(path.read_text(encoding="utf-8"), path.name)]
    assert not found, f"{len(found)} printed line(s) with English words:\n" + "\n".join(found)

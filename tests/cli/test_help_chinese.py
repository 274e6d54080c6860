"""Every `evalpad … --help` speaks Chinese: the whole command tree, walked from the app object.

A help line passes when, after taking out what stays English by the project's rule, no run of
three or more ASCII letters is left but the few words in ALLOWED. What stays English: the names
of the command's path, its subcommands and its arguments (read from the command object), option
names (``--since``), EVALPAD_* variables, metavars (ALL-CAPS, ``<str>``, ``<list[str]>``), things
in backticks or quotes, ``a|b|c`` lists of values, file names, paths and URLs, snake_case and
kebab-case codes, and the values shown as ``[默认：…]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import typer
from typer._click.core import Command
from typer.core import TyperGroup
from typer.testing import CliRunner

from host.cli import app

runner = CliRunner()

ALLOWED = {"MQTT", "SQLite", "PostgreSQL", "Mosquitto", "API", "CSV", "Excel", "ID", "URL", "HTTP", "JSON",
           "NTP", "OTA", "evalpad", "USB", "Wi", "Fi", "REPL", "SHA", "Alembic", "Unix", "ISO", "MTTR", "UTF",
           "Asia", "Shanghai", "systemd", "Ctrl"}

KEPT = [
    re.compile(r"<[a-z][a-z\[\] ]*>|\[[0-9x<>=. ]+\]"),  # Typer's metavars: <str>, <list[str]>, [x>=1]
    re.compile(r"\[默认：[^\]]*\]"),                  # a default value is what the operator types
    re.compile(r"`[^`]*`|'[^']*'|\"[^\"]*\""),        # code in backticks or quotes
    re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*"),       # option names
    re.compile(r"\bEVALPAD_[A-Z_]+\b"),                # environment variables
    re.compile(r"[\w-]+(?: ?\| ?[\w-]+)+"),            # lists of values: table|json|csv
    re.compile(r"[\w.<>:-]*[/.][\w.<>/:-]+"),          # paths, file names, URLs, dotted names
    re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b"),       # snake_case codes (grace_ms, police_traffic)
    re.compile(r"\b[a-z0-9]+(?:-[a-z0-9]+)+\b"),       # kebab-case codes (qingpu-hall, host-1)
    re.compile(r"\b[A-Z][A-Z0-9_]*\b"),                # ALL-CAPS metavars (TEXT, DEVICE_ID, YYYY)
]
WIDE = {"COLUMNS": "200", "TERMINAL_WIDTH": "200"}   # one help text a line: nothing cut mid-word
ENGLISH = re.compile(r"[A-Za-z]{3,}")


def english_left(line: str, names: frozenset[str] = frozenset()) -> list[str]:
    """The English words of a help line that the rule does not keep; ``names``: the command's own."""
    for pattern in KEPT:
        line = pattern.sub(" ", line)
    return [w for w in ENGLISH.findall(line) if w not in ALLOWED and w not in names]


def own_names(command: Command, path: tuple[str, ...]) -> frozenset[str]:
    """The words of the command's path, its subcommands' names and its arguments' names."""
    words = set(path) | {p.name for p in command.params if p.param_type_name == "argument" and p.name}
    if isinstance(command, TyperGroup):
        words |= set(command.commands)
    return frozenset(w for name in words for w in re.split(r"[-_]", name)) | words


def walk(command: Command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Command]]:
    yield path, command
    if isinstance(command, TyperGroup):
        for name, sub in command.commands.items():
            yield from walk(sub, (*path, name))


def all_commands() -> list[tuple[tuple[str, ...], Command]]:
    return list(walk(typer.main.get_command(app)))


def test_the_tree_is_walked_whole() -> None:
    paths = [path for path, _ in all_commands()]
    assert ("device", "correct") in paths and ("pad", "release") in paths and ("simulate",) in paths
    assert len(paths) > 60


def test_the_rule_keeps_codes_and_catches_english() -> None:
    assert english_left("│ --since  TEXT  补记分配的时间，如 '2026-11-25 08:00' [默认：table] │") == []
    assert english_left("格式 table|json|csv，EVALPAD_MQTT_URL、/dev/ttyUSB0、grace_ms、qingpu-hall") == []
    assert english_left("导入 CSV 或 Excel 文件，经 MQTT 发往 Mosquitto") == []
    assert english_left("│ --help  <bool>  Show this message and exit. │") == [
        "Show", "this", "message", "and", "exit"]
    names = frozenset({"window", "add", "number"})
    assert english_left("Usage: evalpad window add [OPTIONS] {number}", names) == ["Usage"]
    assert english_left(" 用法： evalpad window add [选项] {number}", names) == []
    assert english_left("│ *    number      <str>  [required] │", names) == ["required"]


def test_every_help_is_chinese() -> None:
    found: list[str] = []
    for path, command in all_commands():
        result = runner.invoke(app, [*path, "--help"], prog_name="evalpad", env=WIDE)
        assert result.exit_code == 0, (path, result.output)
        names = own_names(command, path)
        for line in result.output.splitlines():
            if words := english_left(line, names):
                found.append(f"evalpad {' '.join(path)} --help: {line.strip()}  <- {' '.join(words)}")
    assert not found, f"{len(found)} help line(s) with English words:\n" + "\n".join(found)


def test_usage_errors_are_chinese() -> None:
    """A person's slip (no such command or option, a missing or bad value) is said in Chinese too."""
    cases = [
        (["windo"], "没有命令 'windo'。是不是要用 'window'？"),
        (["window", "list", "--bogus"], "没有选项 --bogus。"),
        (["window", "add"], "缺少参数 'number'。"),
        (["token", "create"], "缺少选项 '--user' / '-u'。"),
        (["token", "create", "-u", "a", "--days", "x"], "'--days' 的值无效：应当是整数。"),
        (["token", "create", "-u", "a", "--days", "0"], "'--days' 的值无效：应当不小于 1。"),
        (["report", "month", "2026-10", "--format"], "选项 --format 后面要写值。"),
    ]
    for args, said in cases:
        result = runner.invoke(app, args, prog_name="evalpad", env=WIDE)
        assert result.exit_code == 2, (args, result.output)
        assert said in result.output, (args, result.output)
        if args != ["report", "month", "2026-10", "--format"]:   # raised before the command has a context
            assert "用法： evalpad" in result.output and "查看帮助：evalpad" in result.output, result.output
        names = frozenset(args) | {"number"}          # the commands typed and window add's argument
        left = [w for line in result.output.splitlines() for w in english_left(line, names)]
        assert not left, result.output

"""Typer's and Click's own words in Chinese, in one place: every `evalpad` group and command is
made with ``Typer`` from here (a ``typer.Typer`` whose groups and commands are ``ZhGroup`` and
``ZhCommand``).

Typer 0.29 carries its own copy of Click (typer._click) with the English written in, not looked
up through gettext, so the words are reached where Typer lets a program set them: the help
panels' titles and markers (typer.rich_utils constants), the usage line's prefix and
placeholders, the help option's text and the completion options' texts (the command classes),
and the usage errors a person makes (missing or unknown options, unknown commands, bad values),
said again in Chinese from the exception's fields before Typer prints them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import typer
from typer import rich_utils
from typer._click import exceptions as click_errors
from typer._click.core import Context
from typer._click.formatting import HelpFormatter
from typer.core import TyperCommand, TyperGroup

rich_utils.ARGUMENTS_PANEL_TITLE = "参数"
rich_utils.OPTIONS_PANEL_TITLE = "选项"
rich_utils.COMMANDS_PANEL_TITLE = "命令"
rich_utils.ERRORS_PANEL_TITLE = "错误"
rich_utils.ABORTED_TEXT = "已中止。"
rich_utils.RICH_HELP = "查看帮助：[blue]{command_path} {help_option}[/]"
rich_utils.DEFAULT_STRING = "[默认：{}]"
rich_utils.ENVVAR_STRING = "[环境变量：{}]"
rich_utils.REQUIRED_LONG_STRING = "[必填]"
rich_utils.DEPRECATED_STRING = "（已停用）"

USAGE = "用法："
OPTIONS_METAVAR = "[选项]"
SUBCOMMAND_METAVAR = "命令 [参数]..."
HELP_TEXT = "显示本帮助并退出。"
OPTION_HELP = {
    "install_completion": "为当前终端安装命令补全。",
    "show_completion": "显示当前终端的命令补全脚本（可复制或自行安装）。",
}

# Messages Typer and its Click build from plain text (no fields to build from).
MESSAGES = [
    (re.compile(r"^No such command '(.*)'\.(?: Did you mean (.*)\?)?$"),
     lambda m: f"没有命令 '{m[1]}'。" + (f"是不是要用 {m[2]}？" if m[2] else "")),
    (re.compile(r"^Missing command\.$"), lambda m: "缺少命令。"),
    (re.compile(r"^Got unexpected extra arguments? \((.*)\)$"), lambda m: f"多余的参数：{m[1]}"),
    (re.compile(r"^'(.*)' is not a valid (integer|float)( range)?\.?$"),
     lambda m: f"'{m[1]}' 不是{'整数' if m[2] == 'integer' else '数字'}。"),
    (re.compile(r"^(.*) is not in the range (.*)\.$"), lambda m: f"{m[1]} 不在范围 {m[2]} 内。"),
    (re.compile(r"^Input should be a valid (integer|number)\b"),
     lambda m: "应当是整数。" if m[1] == "integer" else "应当是数字。"),
    (re.compile(r"^Input should be greater than or equal to (\S+)$"), lambda m: f"应当不小于 {m[1]}。"),
    (re.compile(r"^Input should be less than or equal to (\S+)$"), lambda m: f"应当不大于 {m[1]}。"),
]


def _hint(e: click_errors.BadParameter) -> str:
    hint: Sequence[str] | str | None = e.param_hint
    if hint is None and e.param is not None:
        hint = e.param.get_error_hint()
    if isinstance(hint, str) or hint is None:
        return hint or ""
    return " / ".join(hint)


def _text(message: str) -> str:
    for pattern, say in MESSAGES:
        if m := pattern.match(message):
            return say(m)
    return message


def chinese(e: click_errors.UsageError) -> click_errors.UsageError:
    """The same usage error, said in Chinese (the fields are kept: option names stay as typed)."""
    if isinstance(e, click_errors.MissingParameter):
        kind = "参数" if e.param is not None and e.param.param_type_name == "argument" else "选项"
        text = f"缺少{kind} {_hint(e)}。".replace(" 。", "。")
    elif isinstance(e, click_errors.BadParameter):
        text = f"{_hint(e)} 的值无效：{_text(e.message)}" if _hint(e) else f"值无效：{_text(e.message)}"
    elif isinstance(e, click_errors.NoSuchOption):
        text = f"没有选项 {e.option_name}。"
        if e.possibilities:
            text += f"是不是要用 {'、'.join(sorted(e.possibilities))}？"
    elif isinstance(e, click_errors.BadOptionUsage) and "requires" in e.message:
        text = f"选项 {e.option_name} 后面要写值。"
    elif isinstance(e, click_errors.BadOptionUsage) and "does not take a value" in e.message:
        text = f"选项 {e.option_name} 不带值。"
    else:
        text = _text(e.message)
    said = click_errors.UsageError(text, e.ctx)
    said.exit_code = e.exit_code
    return said


class _Chinese:
    """What ZhCommand and ZhGroup share: usage line, help texts, usage errors in Chinese."""

    def format_usage(self, ctx: Context, formatter: HelpFormatter) -> None:
        pieces = super().collect_usage_pieces(ctx)  # type: ignore[misc]
        formatter.write_usage(ctx.command_path, " ".join(pieces), USAGE + " ")

    def get_params(self, ctx: Context) -> list[Any]:
        params: list[Any] = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if param.name == "help":
                param.help = HELP_TEXT
            elif param.name in OPTION_HELP:
                param.help = OPTION_HELP[param.name]
        return params

    def make_context(self, info_name: str | None, args: list[str], parent: Context | None = None,
                     **extra: Any) -> Context:
        try:
            context: Context = super().make_context(info_name, args, parent, **extra)  # type: ignore[misc]
        except click_errors.UsageError as e:
            raise chinese(e) from None
        return context

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)  # type: ignore[misc]
        except click_errors.UsageError as e:       # e.g. a typer.BadParameter raised by a command
            raise chinese(e) from None


class ZhCommand(_Chinese, TyperCommand):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options_metavar = OPTIONS_METAVAR


class ZhGroup(_Chinese, TyperGroup):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options_metavar = OPTIONS_METAVAR
        self.subcommand_metavar = SUBCOMMAND_METAVAR

    def resolve_command(self, ctx: Context, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except click_errors.UsageError as e:
            raise chinese(e) from None


class Typer(typer.Typer):
    """``typer.Typer`` whose groups and commands speak Chinese (ZhGroup, ZhCommand)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("cls", ZhGroup)
        kwargs.setdefault("no_args_is_help", True)
        super().__init__(*args, **kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", ZhCommand)
        return super().command(*args, **kwargs)

    def callback(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", ZhGroup)
        return super().callback(*args, **kwargs)

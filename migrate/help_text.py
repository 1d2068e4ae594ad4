"""One help layout for every command: argparse's, with option names and placeholders, never Python types.

`lint` is parsed by argparse (migrate/lint/fastcli.py); `convert`, `verify` and `rule` by typer, whose
own help prints parameter types (`<bool>`, `<list[str]>`, `<int range> [1<=x<=1000]`) and reads option
help as rich markup (so `[tool.nemo-migrate]` vanished). Their `--help` is rendered here instead, from
the same click parameters typer parses with, so all commands read alike: `usage:`, the description,
then each option with its placeholder (FILE, N, WHEN), its help and its default.
"""

from __future__ import annotations

import argparse
import inspect
import re
import textwrap

HELP_OPTION_HELP = "Show this help and exit."


class ParagraphFormatter(argparse.HelpFormatter):
    """argparse's layout, keeping the blank-line paragraphs of a description apart."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = re.split(r"\n\s*\n", inspect.cleandoc(text))
        return "\n\n".join(
            textwrap.fill(" ".join(p.split()), width, initial_indent=indent, subsequent_indent=indent)
            for p in paragraphs
        )


def _escape(text: str) -> str:
    return text.replace("%", "%%")  # argparse %-formats every help string


def _default_text(param) -> str | None:
    default = getattr(param, "default", None)
    if default is None or isinstance(default, bool) or callable(default) or default in ("", (), []):
        return None
    return str(default)


def _option_help(param) -> str:
    if param.name == "help":
        return HELP_OPTION_HELP
    text = " ".join((param.help or "").split())
    default = _default_text(param)
    if default is not None and "default" not in text:
        text = f"{text} (default: {default})" if text else f"default: {default}"
    return _escape(text)


def _usage(prog: str, params) -> str:
    words = [prog, "[OPTIONS]"]
    for param in params:
        if getattr(param, "param_type_name", "") != "argument":
            continue
        name = (param.metavar or param.name.upper()).rstrip(".")
        many = param.nargs == -1
        word = f"{name}..." if many else name
        words.append(word if param.required else f"[{word}]")
    return " ".join(words)


def command_help(command, ctx) -> str:
    """`nemo-migrate CMD --help` for a click/typer command, in argparse's layout."""
    params = [p for p in command.get_params(ctx) if not getattr(p, "hidden", False)]
    parser = argparse.ArgumentParser(
        prog=ctx.command_path, usage=_usage(ctx.command_path, params), description=_escape(command.help or ""),
        formatter_class=ParagraphFormatter, add_help=False,
    )
    arguments = parser.add_argument_group("arguments")
    options = parser.add_argument_group("options")
    for param in params:
        if getattr(param, "param_type_name", "") == "argument":
            name = (param.metavar or param.name.upper()).rstrip(".")
            arguments.add_argument(name, help=_escape(" ".join((param.help or "").split())))
            continue
        names = sorted([*param.opts, *param.secondary_opts], key=lambda n: n.startswith("--"))
        if getattr(param, "is_flag", False) or getattr(param, "count", False):
            options.add_argument(*names, action="store_true", help=_option_help(param))
        else:
            options.add_argument(*names, metavar=param.metavar or "VALUE", help=_option_help(param))
    return parser.format_help()


def group_help(group, ctx) -> str:
    """`nemo-migrate --help`: the commands with their first sentence, then the options."""
    params = [p for p in group.get_params(ctx) if not getattr(p, "hidden", False)]
    parser = argparse.ArgumentParser(
        prog=ctx.command_path, usage=f"{ctx.command_path} [OPTIONS] COMMAND ...", description=_escape(group.help or ""),
        formatter_class=ParagraphFormatter, add_help=False,
    )
    commands = parser.add_argument_group("commands")  # listed like arguments; the usage line is explicit
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or getattr(command, "hidden", False):
            continue
        first = " ".join((command.help or "").split("\n\n")[0].split())
        commands.add_argument(name, help=_escape(first))
    options = parser.add_argument_group("options")
    for param in params:
        names = sorted([*param.opts, *param.secondary_opts], key=lambda n: n.startswith("--"))
        options.add_argument(*names, action="store_true", help=_option_help(param))
    return parser.format_help()

"""Every command's `--help` lists each option with a placeholder (FILE, N, WHEN), never a Python type,
in one layout (argparse's) whether the command is parsed by argparse (lint) or typer (the others)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import typer

from cli_helpers import ROOT
from migrate.cli import app

COMMANDS = ("convert", "lint", "verify", "rule", "snapshot")
# what typer's own help printed: `<bool>`, `<list[str]>`, `<int range>`, `[1<=x<=1000]`, click's TEXT/INTEGER
PYTHON_TYPES = re.compile(r"<(bool|str|int|float|list|path)\b|\[\d+<=x|x<=\d+\]|\b(TEXT|INTEGER|BOOLEAN|FLOAT)\b")


def _help(args: list[str]) -> subprocess.CompletedProcess:
    env = {"PATH": "", "COLUMNS": "100", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "migrate", *args], cwd=ROOT, capture_output=True, text=True, env=env)


def _options(command: str) -> set[str]:
    if command == "lint":
        from migrate.lint.fastcli import build_parser

        return {o for action in build_parser()._actions for o in action.option_strings}
    click_command = typer.main.get_command(app).commands[command]
    return {o for p in click_command.params for o in (*getattr(p, "opts", ()), *getattr(p, "secondary_opts", ())) if o.startswith("-")}


@pytest.mark.parametrize("command", COMMANDS)
def test_help_names_every_option_and_no_python_type(command: str) -> None:
    result = _help([command, "--help"])
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith(f"usage: nemo-migrate {command} [OPTIONS]")
    assert PYTHON_TYPES.search(text) is None, PYTHON_TYPES.search(text)
    shown = set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", text))
    missing = {o for o in _options(command) if o not in ("--help", "-h")} - shown
    assert missing == set()
    assert "Show this help and exit." in text


@pytest.mark.parametrize("command", ("convert", "lint", "verify"))
def test_help_keeps_brackets_of_option_text(command: str) -> None:
    """Option help is plain text, not rich markup: `[tool.nemo-migrate]` stays in the --config line."""
    assert "[tool.nemo-migrate]" in _help([command, "--help"]).stdout


def test_top_level_help_lists_the_commands_and_the_version_option() -> None:
    text = _help(["--help"]).stdout
    assert text.startswith("usage: nemo-migrate [OPTIONS] COMMAND")
    assert PYTHON_TYPES.search(text) is None
    for command in COMMANDS:
        assert re.search(rf"^  {command}\s+\S", text, re.M), command
    assert "-V, --version" in text


def test_defaults_of_options_with_values_are_shown() -> None:
    text = " ".join(_help(["verify", "--help"]).stdout.split())
    assert "(default: 10)" in text and "(default: nemo2)" in text


@pytest.mark.parametrize("command", ("convert", "lint", "verify"))
def test_a_mistyped_option_gets_the_same_error_shape_from_every_command(command: str) -> None:
    result = _help([command, "fixtures/verify/o1_bf16.yaml", "--colour", "never"])
    assert result.returncode == 2 and result.stdout == ""
    first, hint = result.stderr.splitlines()
    assert first.startswith("error: ") and "--colour" in first and "Possible options" not in first
    assert hint == f"hint: did you mean --color? (`nemo-migrate {command} --help` lists the options)"


def test_bare_command_prints_the_help_not_an_error() -> None:
    result = _help([])
    output = result.stdout + result.stderr
    assert result.returncode in (0, 2)  # click >= 8.2 treats "no command" as a usage error, as ruff does
    assert output.startswith("usage: nemo-migrate [OPTIONS] COMMAND") and "error:" not in output

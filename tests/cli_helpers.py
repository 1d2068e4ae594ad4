"""Run the CLI in-process from the repository root and capture stdout, stderr and exit status."""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from migrate.cli import app

ROOT = Path(__file__).resolve().parent.parent
ARGS_MARKER = "# nemo-migrate-args:"


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str


def run_cli(args: list[str], stdin: str | None = None, cwd: Path | None = None) -> CliResult:
    previous = os.getcwd()
    os.chdir(cwd or ROOT)
    try:
        result = CliRunner().invoke(app, args, input=stdin, catch_exceptions=False)
    finally:
        os.chdir(previous)
    return CliResult(result.exit_code, result.stdout, result.stderr)


def fixture_args(path: Path) -> list[str]:
    """Options written on a fixture's first line: `# nemo-migrate-args: --nemo1-version 2.x`."""
    first = path.read_text(encoding="utf-8").splitlines()[:1]
    if first and first[0].startswith(ARGS_MARKER):
        return shlex.split(first[0][len(ARGS_MARKER) :])
    return []

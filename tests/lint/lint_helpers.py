"""Run `nemo-migrate lint` in-process from a chosen directory, with a controlled environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from migrate.cli import app

CI_VARIABLES = ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "NO_COLOR", "FORCE_COLOR", "NEMO_MIGRATE_OUTPUT_FORMAT")


@dataclass(frozen=True)
class LintResult:
    code: int
    stdout: str
    stderr: str


def lint(args: list[str], cwd: Path, stdin: str | None = None, env: dict[str, str] | None = None) -> LintResult:
    previous = os.getcwd()
    saved = {name: os.environ.pop(name) for name in CI_VARIABLES if name in os.environ}
    os.environ.update(env or {})
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, ["lint", *args], input=stdin, catch_exceptions=False)
    finally:
        os.chdir(previous)
        for name in env or {}:
            os.environ.pop(name, None)
        os.environ.update(saved)
    return LintResult(result.exit_code, result.stdout, result.stderr)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path

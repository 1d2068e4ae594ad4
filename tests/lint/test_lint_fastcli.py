"""`python -m migrate.lint` (no typer) accepts exactly the options of `nemo-migrate lint` and behaves alike."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import typer

from migrate.cli import app
from migrate.lint.fastcli import build_parser

ROOT = Path(__file__).resolve().parents[2]


def test_fast_parser_has_the_options_of_the_typer_command() -> None:
    command = typer.main.get_command(app).commands["lint"]
    typer_options = {opt for param in command.params for opt in param.opts if opt.startswith("-")}
    fast_options = set(build_parser()._option_string_actions) - {"-h", "--help"}
    assert fast_options == typer_options - {"-h", "--help"}


def test_fast_entry_point_lints_and_exits_like_the_command(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("trainer:\n  precision: bf16-true\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "migrate.lint", "a.yaml", "--output-format", "concise", "--select", "NMP106"],
        cwd=tmp_path, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT)}, check=False,
    )
    assert run.returncode == 1
    assert run.stdout.startswith("a.yaml:2:3: NMP106 [error] trainer.precision: NeMo 1.0 rejects 'bf16-true'")
    bad = subprocess.run([sys.executable, "-m", "migrate.lint", "--color", "maybe"], cwd=tmp_path,
                         capture_output=True, text=True, env={"PYTHONPATH": str(ROOT)}, check=False)
    assert bad.returncode == 2

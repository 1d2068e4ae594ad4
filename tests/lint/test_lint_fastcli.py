"""`lint` has one parser (migrate.lint.fastcli): `nemo-migrate lint`, its typer entry and `python -m migrate.lint`
all go through it, so options, help and errors are the same everywhere."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import typer

from migrate.cli import app
from migrate.lint.fastcli import build_parser

ROOT = Path(__file__).resolve().parents[2]


def test_the_typer_command_only_forwards_to_the_one_parser(tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    command = typer.main.get_command(app).commands["lint"]
    assert [p for p in command.params if any(o.startswith("-") for o in getattr(p, "opts", ()))] == []
    (tmp_path / "a.yaml").write_text("trainer:\n  precision: bf16-true\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["lint", "a.yaml", "--output-format", "concise", "--colour", "never"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: unrecognized arguments: --colour never",
        "hint: did you mean --color? (`nemo-migrate lint --help` lists the options)",
    ]
    assert "--force-exclude" in build_parser().format_help()


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

"""The before/after fixture pairs of fixtures/codemod and a CLI runner that works in any directory.

A case is `NAME.before.py` whose first line says which legacy YAML (below fixtures/codemod) to
migrate and with which options: `# codemod: legacy/bf16_o2.yaml --trainer-line 8`. The expected
script is `NAME.after.py`, the expected stderr `NAME.stderr`; `err_*` cases must exit 2 and leave
the script untouched.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from migrate.cli import app

ROOT = Path(__file__).resolve().parent.parent.parent
CASES_DIR = ROOT / "fixtures" / "codemod"
MARKER = "# codemod:"
CASES = sorted(CASES_DIR.glob("*.before.py"))
GOOD = [c for c in CASES if not c.name.startswith("err_")]


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str


def case_name(case: Path) -> str:
    return case.name[: -len(".before.py")]


def case_args(case: Path) -> tuple[str, list[str]]:
    """(absolute YAML path, extra options) from the case's first line."""
    first = case.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(MARKER), f"{case.name}: first line must start with {MARKER!r}"
    words = shlex.split(first[len(MARKER):])
    return str(CASES_DIR / words[0]), words[1:]


def run_in(directory: Path, args: list[str]) -> Result:
    """Run the CLI in-process with `directory` as the working directory."""
    previous = os.getcwd()
    os.chdir(directory)
    try:
        result = CliRunner().invoke(app, args, catch_exceptions=False)
    finally:
        os.chdir(previous)
    return Result(result.exit_code, result.stdout, result.stderr)


def stage(case: Path, directory: Path, name: str = "train.py") -> Path:
    """Copy a case's before-script into `directory` byte for byte."""
    target = directory / name
    target.write_bytes(case.read_bytes())
    return target


def migrate_into(case: Path, directory: Path, *extra: str) -> Result:
    """`convert LEGACY.yaml --into train.py` in `directory`, with the YAML reported as `legacy/NAME.yaml`."""
    yaml_path, options = case_args(case)
    legacy = directory / "legacy"
    legacy.mkdir(exist_ok=True)
    (legacy / Path(yaml_path).name).write_bytes(Path(yaml_path).read_bytes())
    return run_in(directory, ["convert", f"legacy/{Path(yaml_path).name}", "--into", "train.py", *options, *extra])

"""Hostile inputs generated at test time (never committed), and how a run over them is judged.

Each case runs the real command on several inputs at once: the hostile one must get exactly one
located line on stderr (`path:line:col: message`) and exit status 2, every other input must still
be processed, and no input may change.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from migrate.cli import app

ROOT = Path(__file__).resolve().parents[2]
LEGACY = ROOT / "fixtures" / "codemod" / "legacy" / "bf16_o2.yaml"
TRAIN = 'from nemo import lightning as nl\n\ntrainer = nl.Trainer(\n    devices=8,\n    precision="bf16-mixed",\n)\n'
LEGACY_WARNS = "trainer:\n  precision: bf16\nmodel:\n  megatron_amp_O2: True\n  fp8: True\n  fp8_e4m3: True\n  fp8_hybrid: True\n"
PLUGIN = 'from nemo import lightning as nl\n\nplugin = nl.MegatronMixedPrecision(precision="bf16-mixed", fp8=True)\n'


def nested_script(depth: int, line: int = 3) -> str:
    """A trainer script whose line `line` holds `depth` nested parentheses."""
    head = "from nemo import lightning as nl\n" + "\n" * (line - 2)
    return head + "x = " + "(" * depth + "1" + ")" * depth + "\n\n" + TRAIN.split("\n\n", 1)[1]


def chain_script(terms: int) -> str:
    """A trainer script with one flat `a0 + a1 + ...` expression of `terms` terms on line 8."""
    return TRAIN + "\ntotal = " + " + ".join(f"a{i}" for i in range(terms)) + "\n"


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


def run_process(args: list[str], cwd: Path) -> Run:
    """`nemo-migrate ARGS` in a new interpreter: a crash of the process shows as its exit status."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    env.pop("GITHUB_ACTIONS", None)
    done = subprocess.run([sys.executable, "-m", "migrate.entry", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    return Run(done.returncode, done.stdout, done.stderr)


def run_in_process(args: list[str], cwd: Path) -> Run:
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, args, catch_exceptions=False)
    finally:
        os.chdir(previous)
    return Run(result.exit_code, result.stdout, result.stderr)


def write(folder: Path, files: dict[str, str]) -> dict[str, bytes]:
    """Create the files; return their bytes, to check later that nothing changed them."""
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return {name: (folder / name).read_bytes() for name in files}


def unchanged(folder: Path, before: dict[str, bytes], *names: str) -> bool:
    return all((folder / name).read_bytes() == before[name] for name in names)


def located_line(stderr: str, path: str) -> re.Match[str]:
    """The one stderr line about `path`: `path:line:col: NMP002 [error] message` (lint's concise shape, the
    same for every command), a single line; group 3 is the message."""
    lines = [line for line in stderr.splitlines() if line.startswith(f"{path}:")]
    assert len(lines) == 1, f"expected one line about {path}, got {lines!r}\n{stderr}"
    match = re.fullmatch(rf"{re.escape(path)}:(\d+):(\d+): (?:NMP\d{{3}} \[error\]|error:) (.+)", lines[0])
    assert match is not None, f"not located: {lines[0]!r}"
    assert "Traceback" not in stderr
    return match

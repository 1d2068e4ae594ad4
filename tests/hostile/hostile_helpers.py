"""Run the real command line in a child process (a crash or a hang must not take the test run
down) and check what hostile-input tests always check: the exit status, one located line per
problem, no traceback, and inputs left byte for byte as they were."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOOD_YAML = (ROOT / "fixtures" / "convert" / "legacy_fp8_absent_history.yaml").read_text(encoding="utf-8")
GOOD_SCRIPT = (
    "from nemo import lightning as nl\n\n"
    'trainer = nl.Trainer(devices=8, plugins=[nl.MegatronMixedPrecision(precision="bf16-mixed")])\n'
)


PYTHON_EXCEPTION = re.compile(r"\b[A-Z]\w*(Error|Exception|Interrupt):")


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str

    def lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def run(args: list[str], cwd: Path, stdin: bytes | None = None, timeout: float = 60) -> Run:
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1", COLUMNS="200")
    env.pop("GITHUB_ACTIONS", None)
    done = subprocess.run(
        [sys.executable, "-m", "migrate", *args],
        cwd=cwd,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
        env=env,
    )
    return Run(done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))


def assert_clean_failure(result: Run) -> None:
    """No traceback, no Python exception text; every line is one line (the runner split them)."""
    assert "Traceback" not in result.stderr, result.stderr
    assert not PYTHON_EXCEPTION.search(result.stderr), result.stderr
    assert result.code >= 0, f"killed by signal {-result.code}"


def digest_tree(root: Path) -> dict[str, str]:
    """Content hash of every regular file below `root` (links followed), to prove nothing changed."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() or path.is_symlink() and path.resolve().is_file():
            found[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob(".*.tmp")]

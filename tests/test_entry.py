"""The executable routes `lint` runs to the light front end, without importing typer."""

from __future__ import annotations

import subprocess
import sys

from cli_helpers import ROOT

CHECK = (
    "import sys\n"
    "from migrate.entry import main\n"
    "try:\n"
    "    main({args!r})\n"
    "except SystemExit as exit:\n"
    "    print('typer' in sys.modules, exit.code, file=sys.stderr)\n"
)


def _run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CHECK.format(args=args)], cwd=ROOT, capture_output=True, text=True)


def test_lint_runs_without_typer() -> None:
    result = _run(["lint", "fixtures/convert/legacy_fp8_absent_history.yaml", "-q", "--exit-zero"])
    assert result.stderr.strip().splitlines()[-1] == "False 0"


def test_lint_help_is_the_fast_parsers_and_other_commands_go_through_typer() -> None:
    assert _run(["lint", "--help"]).stderr.strip().splitlines()[-1] == "False 0"  # one parser for lint
    assert _run(["--version"]).stderr.strip().splitlines()[-1] == "True 0"

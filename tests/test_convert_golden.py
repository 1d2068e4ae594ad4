"""Golden before/after fixtures: each fixtures/convert/*.yaml converts to exactly its .py and .stderr.

Regenerate after an intended change with NEMO_MIGRATE_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from cli_helpers import ROOT, fixture_args, run_cli
from golden import check_golden

CASES = sorted((ROOT / "fixtures" / "convert").glob("*.yaml"))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_golden(case: Path) -> None:
    relative = case.relative_to(ROOT).as_posix()
    result = run_cli(["convert", relative, *fixture_args(case)])
    expected_code = 2 if case.stem.startswith("err_") else 0
    assert result.code == expected_code, result.stderr
    check_golden(case.with_suffix(".py"), result.stdout)
    check_golden(case.with_suffix(".stderr"), result.stderr)
    if result.stdout:
        ast.parse(result.stdout)


@pytest.mark.parametrize(
    "case", [c for c in CASES if not c.stem.startswith(("err_", "skip_"))], ids=lambda c: c.stem
)
def test_output_is_a_fixed_point(case: Path, tmp_path: Path) -> None:
    """Converting twice into the same file changes nothing the second time."""
    if case.stem.startswith("multi_run"):  # one module per run: written under --out-dir
        args = ["convert", case.relative_to(ROOT).as_posix(), "--out-dir", str(tmp_path), *fixture_args(case)]
        assert run_cli(args).code == 0
        first = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
        assert sorted(first) == [f"{case.stem}_actor.py", f"{case.stem}_critic.py"]
        assert run_cli(args).code == 0
        assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == first
        return
    out = tmp_path / "plugin.py"
    args = ["convert", case.relative_to(ROOT).as_posix(), "-o", str(out), *fixture_args(case)]
    assert run_cli(args).code == 0
    first = out.read_bytes()
    assert run_cli(args).code == 0
    assert out.read_bytes() == first

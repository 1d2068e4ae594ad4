"""Every fixtures/codemod case rewrites to exactly its .after.py with exactly its .stderr, and the
rewrite is a fixed point. Regenerate after an intended change with NEMO_MIGRATE_UPDATE_GOLDEN=1."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from codemod_cases import CASES, GOOD, case_name, migrate_into, stage
from golden import check_golden


@pytest.mark.parametrize("case", CASES, ids=case_name)
def test_case(case: Path, tmp_path: Path) -> None:
    script = stage(case, tmp_path)
    result = migrate_into(case, tmp_path)
    error_case = case_name(case).startswith("err_")
    assert result.code == (2 if error_case else 0), result.stderr
    after = case.with_name(case_name(case) + ".after.py")
    if error_case:
        assert script.read_bytes() == case.read_bytes(), "a failed rewrite must leave the script untouched"
        assert not after.exists()
    else:
        check_golden(after, script.read_bytes())
        ast.parse(script.read_text(encoding="utf-8"))
    check_golden(case.with_name(case_name(case) + ".stderr"), result.stderr.encode("utf-8"))


@pytest.mark.parametrize("case", GOOD, ids=case_name)
def test_second_run_changes_nothing(case: Path, tmp_path: Path) -> None:
    script = stage(case, tmp_path)
    assert migrate_into(case, tmp_path).code == 0
    first = script.read_bytes()
    again = migrate_into(case, tmp_path)
    assert again.code == 0
    assert script.read_bytes() == first
    assert again.stderr.rstrip().endswith("0 rewritten, 1 unchanged, 0 failed")
    assert migrate_into(case, tmp_path, "--check").code == 0

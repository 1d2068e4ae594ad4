"""`--diff` prints exactly the change `--into` makes: applying it with patch (and git apply) gives the
same bytes, and printing it writes nothing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from codemod_cases import GOOD, case_name, migrate_into, stage


def _apply(tool: list[str], directory: Path, diff: str) -> None:
    completed = subprocess.run(tool, cwd=directory, input=diff.encode("utf-8"), capture_output=True, check=False)
    assert completed.returncode == 0, completed.stdout.decode() + completed.stderr.decode()


def _preview_and_write(case: Path, tmp_path: Path) -> tuple[str, bytes, Path]:
    preview, written = tmp_path / "preview", tmp_path / "written"
    preview.mkdir()
    written.mkdir()
    stage(case, preview)
    stage(case, written)
    result = migrate_into(case, preview, "--diff")
    changed = migrate_into(case, written).stderr.rstrip().endswith("1 rewritten, 0 unchanged, 0 failed")
    assert result.code == (1 if changed else 0), result.stderr
    assert (preview / "train.py").read_bytes() == case.read_bytes(), "--diff must not write"
    assert bool(result.stdout) == changed
    return result.stdout, (written / "train.py").read_bytes(), preview


@pytest.mark.skipif(shutil.which("patch") is None, reason="needs the patch program")
@pytest.mark.parametrize("case", GOOD, ids=case_name)
def test_patch_gives_the_into_result(case: Path, tmp_path: Path) -> None:
    diff, expected, preview = _preview_and_write(case, tmp_path)
    if diff:
        assert diff.startswith("--- a/train.py\n+++ b/train.py\n@@ ")
        _apply(["patch", "-p1", "--quiet"], preview, diff)
    assert (preview / "train.py").read_bytes() == expected


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
@pytest.mark.parametrize("case", [c for c in GOOD if not case_name(c).startswith("already")], ids=case_name)
def test_git_apply_gives_the_into_result(case: Path, tmp_path: Path) -> None:
    diff, expected, preview = _preview_and_write(case, tmp_path)
    _apply(["git", "apply", "--unsafe-paths", "-p1", "-"], preview, diff)
    assert (preview / "train.py").read_bytes() == expected

"""convert and lint search a directory the same way: names sorted, hidden folders and virtual
environment, package and build folders skipped, special files never read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from migrate.inputs import collect_inputs
from migrate.lint.files import collect_files

FILES = [
    "conf/b.yaml", "conf/a.yml", "conf/sub/c.yaml", "train.py", "notes.txt",
    ".hidden/x.yaml", "venv/lib/y.yaml", "node_modules/z.yaml", "build/w.yaml", "pkg/__pycache__/v.yaml",
]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name in FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("trainer:\n  precision: bf16\n", encoding="utf-8")
    return tmp_path


def test_convert_and_lint_find_the_same_yaml_files(tree: Path) -> None:
    convert = collect_inputs([str(tree)])
    assert [Path(f.relative).as_posix() for f in convert.files] == ["conf/a.yml", "conf/b.yaml", "conf/sub/c.yaml"]
    lint, missing = collect_files([str(tree)])
    assert missing == []
    # a folder's own files before its subfolders (os.walk), each level sorted
    assert [Path(p).relative_to(tree).as_posix() for p in lint] == ["train.py", "conf/a.yml", "conf/b.yaml",
                                                                    "conf/sub/c.yaml"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_special_files_are_set_apart_by_convert_and_passed_over_by_lint(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "real.yaml").write_text("a: 1\n", encoding="utf-8")
    convert = collect_inputs([str(tmp_path)])
    assert [f.relative for f in convert.files] == ["real.yaml"] and convert.special == [str(tmp_path / "pipe.yaml")]
    assert collect_files([str(tmp_path)])[0] == [str(tmp_path / "real.yaml")]

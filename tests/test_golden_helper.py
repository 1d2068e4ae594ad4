"""The golden check fails on any difference, reads a missing file as empty only where an empty output
has no file, and writes only under NEMO_MIGRATE_UPDATE_GOLDEN=1."""

from __future__ import annotations

from pathlib import Path

import golden
import pytest


def test_equal_passes_and_any_difference_fails(tmp_path: Path) -> None:
    path = tmp_path / "case.out"
    path.write_text("a\n", encoding="utf-8")
    golden.check_golden(path, "a\n")
    with pytest.raises(AssertionError, match="case.out differs"):
        golden.check_golden(path, "a\n\n")
    with pytest.raises(AssertionError):
        golden.check_golden(path, b"a\r\n")


def test_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "none.stderr"
    golden.check_golden(missing, "")  # no stderr, no file
    with pytest.raises(AssertionError):
        golden.check_golden(missing, "text\n")
    with pytest.raises(AssertionError):
        golden.check_golden(missing, "", keep_empty=True)  # must exist, even empty


def test_update_writes_and_compares_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(golden, "UPDATE", True)
    path = tmp_path / "new" / "case.py"
    golden.check_golden(path, "x = 1\n")
    assert path.read_text(encoding="utf-8") == "x = 1\n"
    golden.check_golden(path, "")
    assert not path.exists()
    golden.check_golden(path, "", keep_empty=True)
    assert path.read_text(encoding="utf-8") == ""

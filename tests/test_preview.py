"""Unified diffs: byte-exact round trips through patch (missing final newline, new files, CRLF),
plain text unless colour is asked for, paths relative to the working directory."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from migrate.preview import Outputs, display_path, print_diff, unified_diff

needs_patch = pytest.mark.skipif(shutil.which("patch") is None, reason="needs the patch program")


def _patch(directory: Path, diff: str) -> None:
    completed = subprocess.run(["patch", "-p1", "--quiet"], cwd=directory, input=diff.encode(), capture_output=True, check=False)
    assert completed.returncode == 0, completed.stdout.decode() + completed.stderr.decode()


def _round_trip(tmp_path: Path, before: str | None, after: str) -> bytes:
    target = tmp_path / "train.py"
    if before is not None:
        target.write_bytes(before.encode())
    previous = os.getcwd()
    os.chdir(tmp_path)
    try:
        diff = unified_diff(before, after, "train.py")
    finally:
        os.chdir(previous)
    _patch(tmp_path, diff)
    return target.read_bytes()


@needs_patch
@pytest.mark.parametrize(
    "before, after",
    [
        ("a = 1\nb = 2\n", "a = 1\nb = 3\n"),
        ("a = 1\nb = 2", "a = 1\nb = 3"),  # no newline at the end of either file
        ("a = 1\nb = 2", "a = 1\nb = 2\nc = 3\n"),  # the new text adds the final newline
        ("a = 1\r\nb = 2\r\n", "a = 1\r\nb = 3\r\n"),  # CRLF kept
    ],
    ids=["plain", "no-final-newline", "adds-final-newline", "crlf"],
)
def test_diff_applies_byte_for_byte(tmp_path: Path, before: str, after: str) -> None:
    assert _round_trip(tmp_path, before, after) == after.encode()


@needs_patch
def test_new_file_diff_creates_the_file(tmp_path: Path) -> None:
    diff = unified_diff(None, "x = 1\n", "out/plugin.py")
    assert diff.startswith("--- /dev/null\n+++ b/out/plugin.py\n@@ -0,0 +1 @@\n+x = 1\n")
    _patch(tmp_path, diff)
    assert (tmp_path / "out" / "plugin.py").read_text() == "x = 1\n"


def test_missing_final_newline_is_marked() -> None:
    diff = unified_diff("a\nb", "a\nc", "f.py")
    assert "-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n" in diff


def test_equal_texts_give_no_diff() -> None:
    assert unified_diff("a\n", "a\n", "f.py") == ""


def test_plain_unless_colour_is_asked_for() -> None:
    diff = unified_diff("a\n", "b\n", "f.py")
    plain, coloured = io.StringIO(), io.StringIO()
    print_diff(diff, plain)  # a StringIO is not a terminal
    print_diff(diff, coloured, color=True)
    assert plain.getvalue() == diff
    assert "\x1b[" in coloured.getvalue()
    assert "\x1b[" not in plain.getvalue()


def test_paths_are_relative_to_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert display_path(tmp_path / "sub" / "train.py") == "sub/train.py"
    assert display_path("sub/train.py") == "sub/train.py"
    outside = tmp_path.parent / "elsewhere.py"
    assert display_path(outside) == outside.as_posix()


def test_outputs_modes(tmp_path: Path) -> None:
    target = tmp_path / "plugin.py"
    target.write_text("old\n")
    out, err = io.StringIO(), io.StringIO()
    assert Outputs("check", out, err).offer(target, "new\n")
    assert err.getvalue() == f"{target}: would change\n" and out.getvalue() == ""
    diff = Outputs("diff", out, err)
    assert diff.offer(target, "new\n") and "-old\n+new\n" in out.getvalue()
    assert not diff.offer(target, "old\n") and diff.changed == [str(target)]
    assert target.read_text() == "old\n", "check and diff never write"
    assert Outputs("write").offer(target, "new\n") and target.read_text() == "new\n"

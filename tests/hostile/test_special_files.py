"""Inputs that are not small regular files: FIFOs (named, found in a directory, or as --into/-o),
devices such as /dev/zero, and files or stdin above the size limit. None may block, grow without
bound, or stop the rest of the run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hostile_helpers import GOOD_SCRIPT, GOOD_YAML, assert_clean_failure, run

from migrate.inputs import MAX_INPUT_BYTES

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")
NOT_REGULAR = "not a regular file (a FIFO, device or socket)"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "good.yaml").write_text(GOOD_YAML, encoding="utf-8")
    (tmp_path / "train.py").write_text(GOOD_SCRIPT, encoding="utf-8")
    os.mkfifo(tmp_path / "fifo.yaml")
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ["convert", "fifo.yaml", "good.yaml"],
        ["lint", "fifo.yaml", "good.yaml"],
        ["verify", "fifo.yaml", "--no-numeric"],
        ["verify", "good.yaml", "--no-numeric", "--script", "fifo.yaml"],
        ["convert", "good.yaml", "--into", "fifo.yaml", "--into", "train.py"],
        ["convert", "good.yaml", "-o", "fifo.yaml"],
    ],
    ids=["convert", "lint", "verify", "verify-script", "into", "dash-o"],
)
def test_a_named_fifo_is_refused_without_blocking(folder: Path, args: list[str]) -> None:
    result = run(args, folder, timeout=60)
    assert_clean_failure(result)
    assert result.code == 2
    assert any(line.startswith("fifo.yaml: ") and NOT_REGULAR in line for line in result.lines()), result.stderr
    if "--into" in args:
        assert "fp8_amax_history_len=1024" in (folder / "train.py").read_text(encoding="utf-8")


def test_a_fifo_found_in_a_directory_is_skipped(folder: Path) -> None:
    result = run(["convert", ".", "--out-dir", "out"], folder, timeout=60)
    assert result.code == 0, result.stderr
    assert f"fifo.yaml: skipped: {NOT_REGULAR}" in result.stderr
    assert (folder / "out" / "good.py").is_file()
    linted = run(["lint", ".", "--output-format", "concise"], folder, timeout=60)
    assert "fifo.yaml" not in linted.stdout + linted.stderr


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_dev_zero_is_refused_at_once(folder: Path) -> None:
    for command in (["convert"], ["lint"]):
        result = run([*command, "/dev/zero", "good.yaml"], folder, timeout=60)
        assert result.code == 2
        assert f"/dev/zero: NMP002 [error] {NOT_REGULAR}: not read" in result.stderr + result.stdout.replace(":1:1:", ":")


def test_a_file_above_the_size_limit_is_refused(folder: Path) -> None:
    big = folder / "big.yaml"
    with big.open("w", encoding="utf-8") as handle:
        handle.write("trainer:\n  precision: bf16\nnotes: |\n")
        line = "  " + "x" * 1022 + "\n"
        for _ in range(MAX_INPUT_BYTES // len(line) + 2):
            handle.write(line)
    result = run(["convert", "big.yaml", "good.yaml"], folder)
    assert result.code == 2
    assert "big.yaml: NMP002 [error] input is 2.0 MiB; inputs above 2 MiB are refused" in result.stderr
    assert "1 converted" in result.stderr


def test_stdin_above_the_size_limit_is_refused(folder: Path) -> None:
    result = run(["convert", "-"], folder, stdin=b"#" * (MAX_INPUT_BYTES + 10))
    assert result.code == 2
    assert "<stdin>: NMP002 [error] input is larger than 2 MiB; inputs above 2 MiB are refused" in result.stderr

"""`convert --into/--diff/--check` from the command line: exit codes, what is written and what is not,
file modes, CRLF, interrupted writes, several files at once."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from codemod_cases import CASES_DIR, ROOT, run_in

LEGACY = CASES_DIR / "legacy"
BF16 = str(LEGACY / "bf16_o2.yaml")
SCRIPT = 'from nemo import lightning as nl\n\ntrainer = nl.Trainer(\n    devices=8,\n    precision="bf16-mixed",\n)\n'


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "train.py"
    path.write_text(SCRIPT, encoding="utf-8")
    return path


def test_check_lists_and_writes_nothing(script: Path) -> None:
    result = run_in(script.parent, ["convert", BF16, "--into", "train.py", "--check"])
    assert result.code == 1
    assert "train.py: would change\n" in result.stderr
    assert result.stdout == ""
    assert script.read_text(encoding="utf-8") == SCRIPT


def test_diff_writes_nothing_and_exits_1(script: Path) -> None:
    result = run_in(script.parent, ["convert", BF16, "--into", "train.py", "--diff"])
    assert result.code == 1
    assert '-    precision="bf16-mixed",\n' in result.stdout
    assert "\x1b[" not in result.stdout
    assert script.read_text(encoding="utf-8") == SCRIPT


def test_into_writes_then_check_passes(script: Path) -> None:
    assert run_in(script.parent, ["convert", BF16, "--into", "train.py"]).code == 0
    assert "nl.MegatronMixedPrecision(" in script.read_text(encoding="utf-8")
    result = run_in(script.parent, ["convert", BF16, "--into", "train.py", "--check"])
    assert result.code == 0
    assert result.stderr == "0 would change, 1 unchanged, 0 failed\n"


def test_several_scripts(tmp_path: Path) -> None:
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text(SCRIPT, encoding="utf-8")
    result = run_in(tmp_path, ["convert", BF16, "--into", "a.py", "--into", "b.py", "--diff"])
    assert result.code == 1
    assert "--- a/a.py\n" in result.stdout and "--- a/b.py\n" in result.stdout
    assert result.stderr.endswith("2 would change, 0 unchanged, 0 failed\n")


def test_file_mode_is_kept(script: Path) -> None:
    script.chmod(0o750)
    assert run_in(script.parent, ["convert", BF16, "--into", "train.py"]).code == 0
    assert stat.S_IMODE(script.stat().st_mode) == 0o750


def test_crlf_is_kept(script: Path) -> None:
    script.write_bytes(SCRIPT.replace("\n", "\r\n").encode())
    assert run_in(script.parent, ["convert", BF16, "--into", "train.py"]).code == 0
    data = script.read_bytes()
    assert b"MegatronMixedPrecision" in data
    assert data.count(b"\n") == data.count(b"\r\n")


def test_interrupted_write_leaves_the_original(script: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import migrate.atomic

    def interrupt(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(migrate.atomic.os, "fsync", interrupt)
    try:
        result = run_in(script.parent, ["convert", BF16, "--into", "train.py"])
    except KeyboardInterrupt:
        pass
    else:
        assert result.code != 0
    assert script.read_text(encoding="utf-8") == SCRIPT
    assert sorted(p.name for p in script.parent.iterdir()) == ["train.py"], "no temporary file may be left"


def test_failed_yaml_leaves_scripts_alone(script: Path) -> None:
    bad = str(ROOT / "fixtures" / "convert" / "err_fp32_o2.yaml")
    result = run_in(script.parent, ["convert", bad, "--into", "train.py"])
    assert result.code == 2
    assert script.read_text(encoding="utf-8") == SCRIPT


def test_skipped_yaml_changes_nothing(script: Path) -> None:
    skip = str(ROOT / "fixtures" / "convert" / "skip_no_precision_keys.yaml")
    result = run_in(script.parent, ["convert", skip, "--into", "train.py"])
    assert result.code == 0
    assert "skipped" in result.stderr
    assert script.read_text(encoding="utf-8") == SCRIPT


def test_missing_script(tmp_path: Path) -> None:
    result = run_in(tmp_path, ["convert", BF16, "--into", "nope.py"])
    assert result.code == 2
    assert result.stderr.startswith("nope.py: NMP002 [error] no such file\n")


@pytest.mark.parametrize(
    "args",
    [
        ["--into", "train.py", "--diff", "--check"],
        ["--into", "train.py", "-o", "x.py"],
        ["--trainer-line", "3"],
        ["--diff"],  # nothing to compare with
    ],
    ids=["diff-and-check", "into-and-output", "trainer-line-alone", "diff-without-target"],
)
def test_bad_option_combinations(script: Path, args: list[str]) -> None:
    result = run_in(script.parent, ["convert", BF16, *args])
    assert result.code == 2
    assert script.read_text(encoding="utf-8") == SCRIPT


def test_out_dir_diff_previews_a_directory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    preview = run_in(tmp_path, ["convert", str(LEGACY), "--out-dir", "out", "--diff"])
    assert preview.code == 1
    names = sorted(p.stem for p in LEGACY.glob("*.yaml"))
    assert [line[len("+++ b/out/"):-len(".py")] for line in preview.stdout.splitlines() if line.startswith("+++ ")] == names
    assert preview.stdout.count("--- /dev/null\n") == len(names)
    assert not out.exists(), "--diff must not write"
    assert run_in(tmp_path, ["convert", str(LEGACY), "--out-dir", "out"]).code == 0
    again = run_in(tmp_path, ["convert", str(LEGACY), "--out-dir", "out", "--diff"])
    assert (again.code, again.stdout) == (0, "")
    stale = out / "bf16_o2.py"
    stale.write_text(stale.read_text().replace("bfloat16", "float16"))
    check = run_in(tmp_path, ["convert", str(LEGACY), "--out-dir", "out", "--check"])
    assert check.code == 1
    assert f"{os.path.join('out', 'bf16_o2.py')}: would change\n" in check.stderr


def test_output_check(tmp_path: Path) -> None:
    result = run_in(tmp_path, ["convert", BF16, "-o", "plugin.py", "--check"])
    assert result.code == 1 and "plugin.py: would change" in result.stderr
    assert not (tmp_path / "plugin.py").exists()

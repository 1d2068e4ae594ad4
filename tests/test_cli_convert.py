"""The `convert` command: inputs, outputs, exit statuses and safety of writes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import ROOT, run_cli

GOOD = "trainer:\n  precision: bf16\n  gradient_clip_val: 1.0\nmodel:\n  megatron_amp_O2: True\n"
BAD = "trainer:\n  precision: bf16-true\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_directory_is_searched_recursively_and_mirrored_in_out_dir(tmp_path: Path) -> None:
    src = tmp_path / "configs"
    write(src, "a.yaml", GOOD)
    write(src, "nested/b.yml", GOOD)
    write(src, "nested/notes.txt", "not yaml")
    write(src, "skip.yaml", "data: {seq_length: 8}\n")
    result = run_cli(["convert", str(src), "--out-dir", str(tmp_path / "out")])
    assert result.code == 0, result.stderr
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.py")) == [
        "a.py",
        "nested/b.py",
    ]
    assert result.stderr.strip().splitlines()[-1] == "2 converted, 1 skipped, 0 failed"


def test_bad_file_fails_alone_with_status_2_and_others_still_convert(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, "b.yaml", BAD)
    result = run_cli(["convert", str(tmp_path), "--out-dir", str(tmp_path / "out")])
    assert result.code == 2
    assert (tmp_path / "out" / "a.py").exists() and not (tmp_path / "out" / "b.py").exists()
    assert f"{tmp_path / 'b.yaml'}:2:3: NMP106 [error] trainer.precision:" in result.stderr
    assert "1 converted, 0 skipped, 1 failed" in result.stderr
    assert "Traceback" not in result.stderr


def test_stdin_to_stdout() -> None:
    result = run_cli(["convert", "-", "--stdin-filename", "piped.yaml"], stdin=GOOD)
    assert result.code == 0
    assert "migrated from piped.yaml" in result.stdout
    assert "params_dtype=torch.bfloat16" in result.stdout


def test_stdin_error_is_located_with_the_given_name() -> None:
    result = run_cli(["convert", "-", "--stdin-filename", "piped.yaml"], stdin=BAD)
    assert result.code == 2
    assert result.stderr.startswith("piped.yaml:2:3: ")


def test_missing_path_is_reported_with_status_2(tmp_path: Path) -> None:
    result = run_cli(["convert", str(tmp_path / "nope.yaml")])
    assert result.code == 2
    assert "no such file or directory" in result.stderr


@pytest.mark.parametrize(
    "args", [["--target-nemo", "1.9"], ["--nemo1-version", "3.0"], ["--set", "oops"], ["--env", "NOVALUE"]]
)
def test_bad_options_are_usage_errors(args: list[str], tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", GOOD)
    result = run_cli(["convert", str(path), *args])
    assert result.code == 2
    assert "Traceback" not in result.stderr


def test_output_file_takes_one_input(tmp_path: Path) -> None:
    a, b = write(tmp_path, "a.yaml", GOOD), write(tmp_path, "b.yaml", GOOD)
    assert run_cli(["convert", str(a), str(b), "-o", str(tmp_path / "x.py")]).code == 2


def test_failed_conversion_leaves_an_existing_output_untouched(tmp_path: Path) -> None:
    out = write(tmp_path, "plugin.py", "# mine\n")
    bad = write(tmp_path, "bad.yaml", BAD)
    assert run_cli(["convert", str(bad), "-o", str(out)]).code == 2
    assert out.read_text() == "# mine\n"


def test_interrupted_write_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from migrate import atomic

    out = write(tmp_path, "plugin.py", "# mine\n")
    os.chmod(out, 0o640)

    def boom(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_atomic(out, "new text\n")
    assert out.read_text() == "# mine\n"
    assert [p.name for p in tmp_path.iterdir()] == ["plugin.py"]
    monkeypatch.undo()
    atomic.write_atomic(out, "new text\n")
    assert out.read_text() == "new text\n"
    assert oct(out.stat().st_mode & 0o777) == oct(0o640)


def test_version_and_help() -> None:
    assert run_cli(["--version"]).stdout.startswith("nemo-migrate ")
    help_text = run_cli(["convert", "--help"]).stdout
    for option in ("--out-dir", "--set", "--env", "--target-nemo", "--nemo1-version"):
        assert option in help_text


def test_convert_and_help_never_import_torch() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from migrate.cli import app\n"
        "CliRunner().invoke(app, ['--help'])\n"
        "CliRunner().invoke(app, ['convert', 'fixtures/convert/legacy_fp8_absent_history.yaml'])\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "assert 'hydra' not in sys.modules, 'hydra imported for a config without a defaults list'\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_python_dash_m_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "migrate", "--version"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stdout.startswith("nemo-migrate ")


def test_quiet_prints_what_its_help_says(tmp_path) -> None:
    """-q: errors, and with --check the files that would change; no warnings, skips or summary unless
    something failed."""
    from cli_helpers import run_cli as run

    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "o1.yaml").write_text("trainer:\n  precision: bf16\nmodel:\n  megatron_amp_O2: False\n", encoding="utf-8")
    (tmp_path / "conf" / "infer.yaml").write_text("inference:\n  greedy: true\ntrainer:\n  precision: bf16\n", encoding="utf-8")
    clean = run(["convert", "conf", "--out-dir", "out", "-q"], cwd=tmp_path)
    assert (clean.code, clean.stderr) == (0, "")
    assert run(["convert", "conf", "--out-dir", "out", "--check", "-q"], cwd=tmp_path).stderr == ""  # nothing would change
    (tmp_path / "out" / "o1.py").write_text("# edited\n", encoding="utf-8")
    check = run(["convert", "conf", "--out-dir", "out", "--check", "-q"], cwd=tmp_path)
    assert (check.code, check.stderr) == (1, "out/o1.py: would change\n")
    (tmp_path / "conf" / "bad.yaml").write_text("trainer:\n  precision: bf17\n", encoding="utf-8")
    failed = run(["convert", "conf", "--out-dir", "out", "-q"], cwd=tmp_path)
    assert failed.code == 2
    assert failed.stderr.splitlines() == [
        "conf/bad.yaml:2:3: NMP106 [error] trainer.precision: 'bf17' is not a precision NeMo 1.0 accepts "
        "(16, 16-mixed, bf16, bf16-mixed, 32, 32-true) (did you mean 'bf16'?)",
        "1 converted, 1 skipped, 1 failed",
    ]

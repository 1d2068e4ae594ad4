"""One configuration: convert, lint and verify read the same `[tool.nemo-migrate]` table, and its
settings mean the same in each (target-nemo, per-file-nemo1-version, exclude, select/ignore, noqa)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from cli_helpers import ROOT, run_cli

FIXTURE_2X = ROOT / "fixtures" / "convert" / "nemo1_in_2x_tensorwise.yaml"  # needs --nemo1-version 2.x
O1 = "trainer:\n  precision: bf16\nmodel:\n  megatron_amp_O2: False{noqa}\n  optim:\n    name: fused_adam\n"
PYPROJECT = """[tool.nemo-migrate]
target-nemo = "2.5"
exclude = ["conf/vendor/*"]

[tool.nemo-migrate.per-file-nemo1-version]
"conf/in_2x/*.yaml" = "2.x"
"""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "conf" / "vendor").mkdir(parents=True)
    (tmp_path / "conf" / "in_2x").mkdir()
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (tmp_path / "conf" / "o1.yaml").write_text(O1.format(noqa=""), encoding="utf-8")
    (tmp_path / "conf" / "vendor" / "o1.yaml").write_text(O1.format(noqa=""), encoding="utf-8")
    shutil.copyfile(FIXTURE_2X, tmp_path / "conf" / "in_2x" / "tensorwise.yaml")
    return tmp_path


def test_every_command_shows_the_same_settings_and_their_sources(tmp_path: Path) -> None:
    project = _project(tmp_path)
    for command in ("convert", "verify", "lint"):
        text = run_cli([command, "conf/o1.yaml", "--show-settings"], cwd=project).stdout
        rows = {name.strip(): " ".join(rest.split()) for name, rest in (line.split("  ", 1) for line in text.splitlines())}
        assert rows["target-nemo"] == "2.5 (NeMo 2.5) (target-nemo in pyproject.toml)", (command, text)
        assert rows["nemo1-version"] == "1.23 (the default)", (command, text)
        assert rows["per-file-nemo1-version 'conf/in_2x/*.yaml'"].startswith("2.x"), (command, text)
        given = run_cli([command, "conf/o1.yaml", "--show-settings", "--target-nemo", "25.11"], cwd=project).stdout
        assert "25.11 (NeMo 2.6, container 25.11)  (--target-nemo on the command line)" in given, (command, given)


def test_the_target_release_of_the_table_is_used_and_named_in_the_header(tmp_path: Path) -> None:
    project = _project(tmp_path)
    result = run_cli(["convert", "conf/o1.yaml"], cwd=project)
    assert result.code == 0
    assert "Target: NeMo 2.5, from target-nemo in pyproject.toml." in result.stdout
    table = run_cli(["verify", "conf/o1.yaml", "--no-numeric", "--color", "never"], cwd=project).stdout
    assert "NeMo 2.5" in table.splitlines()[2]  # the migrated side's column names the release


def test_per_file_nemo1_version_applies_to_convert_and_lint(tmp_path: Path) -> None:
    project = _project(tmp_path)
    converted = run_cli(["convert", "conf/in_2x/tensorwise.yaml"], cwd=project)
    assert converted.code == 0, converted.stderr
    assert "NeMo 2.x rules from per-file-nemo1-version 'conf/in_2x/*.yaml' in pyproject.toml" in converted.stdout
    assert run_cli(["lint", "conf/in_2x/tensorwise.yaml", "--show-info"], cwd=project).code == 0
    # the same file under the default 1.23 rules: the 2.x-only keys are reported
    plain = run_cli(["lint", "conf/in_2x/tensorwise.yaml", "--nemo1-version", "1.23", "--output-format", "concise"], cwd=project)
    assert plain.code == 1 and "read only by the mcore path of the NeMo 1.0 code inside NeMo 2.x" in plain.stdout


def test_exclude_means_the_same_for_convert_and_lint(tmp_path: Path) -> None:
    """Globs are relative to the project root, filter what directories hold, and filter named files only
    with --force-exclude; --exclude adds to the table."""
    project = _project(tmp_path)
    for command in ("convert", "lint"):
        walked = run_cli([command, "conf", "--show-files"], cwd=project).stdout.split()
        assert sorted(walked) == ["conf/in_2x/tensorwise.yaml", "conf/o1.yaml"], (command, walked)
        named = ["conf/vendor/o1.yaml", "--show-files"]
        assert run_cli([command, *named], cwd=project).stdout.split() == ["conf/vendor/o1.yaml"]
        assert run_cli([command, *named, "--force-exclude"], cwd=project).stdout.split() == []
        more = run_cli([command, "conf", "--show-files", "--exclude", "in_2x"], cwd=project).stdout.split()
        assert more == ["conf/o1.yaml"], (command, more)


def test_select_ignore_and_noqa_work_for_convert_as_for_lint(tmp_path: Path) -> None:
    (tmp_path / "o1.yaml").write_text(O1.format(noqa=""), encoding="utf-8")
    (tmp_path / "o1_noqa.yaml").write_text(O1.format(noqa="  # noqa: NMP121"), encoding="utf-8")

    def convert_codes(*args: str) -> set[str]:
        stderr = run_cli(["convert", *args], cwd=tmp_path).stderr
        return {line.split()[1] for line in stderr.splitlines() if ": NMP" in line}

    def lint_codes(*args: str) -> set[str]:
        return {r["code"] for r in json.loads(run_cli(["lint", "--output-format", "json", *args], cwd=tmp_path).stdout)}

    assert convert_codes("o1.yaml") == lint_codes("o1.yaml") == {"NMP121", "NMP125"}
    assert convert_codes("o1.yaml", "--ignore", "NMP121") == lint_codes("o1.yaml", "--ignore", "NMP121") == {"NMP125"}
    assert convert_codes("o1.yaml", "--select", "NMP121") == lint_codes("o1.yaml", "--select", "NMP121") == {"NMP121"}
    assert convert_codes("o1_noqa.yaml") == lint_codes("o1_noqa.yaml") == {"NMP125"}


def test_output_file_dash_is_stdout_for_every_command(tmp_path: Path) -> None:
    """`-o -` writes to stdout (never a file named `-`) for convert, lint and verify alike."""
    (tmp_path / "o1.yaml").write_text(O1.format(noqa=""), encoding="utf-8")
    convert = run_cli(["convert", "o1.yaml", "-o", "-"], cwd=tmp_path)
    assert convert.code == 0 and convert.stdout.startswith('"""NeMo 2.7 precision settings migrated from o1.yaml')
    lint = run_cli(["lint", "o1.yaml", "-o", "-", "--output-format", "json"], cwd=tmp_path)
    assert lint.code == 1 and {r["code"] for r in json.loads(lint.stdout)} == {"NMP121", "NMP125"}
    verify = run_cli(["verify", "o1.yaml", "--no-numeric", "-o", "-"], cwd=tmp_path)
    assert verify.code == 0 and json.loads(verify.stdout)["verdict"] == "equivalent"
    assert not (tmp_path / "-").exists()

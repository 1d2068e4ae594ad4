"""`nemo-migrate lint` and `rule` on the command line: exit statuses, streams, formats, config, noqa."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from lint_helpers import lint, write

from migrate.lint.registry import RULES

ROOT = Path(__file__).resolve().parents[2]
REFUSED = "trainer:\n  precision: bf16\nmodel:\n  transformer_engine: True\n  fp8: True\n"
WARNS = "trainer:\n  precision: bf16\nmodel:\n  megatron_amp_02: True\n"
NOT_A_CONFIG = "data:\n  seq_length: 8\n"
PYTHON = (
    "from nemo import lightning as nl\n\n"
    "plugin = nl.MegatronMixedPrecision(precision='bf16-mixed', fp8=True)\n"
)


def test_clean_input_exits_0_with_nothing_on_stdout(tmp_path: Path) -> None:
    write(tmp_path, "data.yaml", NOT_A_CONFIG)
    result = lint(["data.yaml"], tmp_path)
    assert (result.code, result.stdout) == (0, "")
    assert result.stderr == "All checks passed (1 file).\n"


def test_error_exits_1_and_exit_zero_or_fail_on_relax_it(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", REFUSED)
    result = lint(["a.yaml", "--output-format", "concise"], tmp_path)
    assert result.code == 1
    assert "a.yaml:5:3: NMP101 [error] fp8: True but neither fp8_e4m3 nor fp8_hybrid" in result.stdout
    assert "Found " in result.stderr and "Found " not in result.stdout
    assert lint(["a.yaml", "--exit-zero"], tmp_path).code == 0
    write(tmp_path, "w.yaml", WARNS)
    assert lint(["w.yaml"], tmp_path).code == 1
    assert lint(["w.yaml", "--fail-on", "error"], tmp_path).code == 0


def test_unreadable_inputs_exit_2_with_a_located_line(tmp_path: Path) -> None:
    write(tmp_path, "broken.yaml", "trainer:\n  precision: [bf16\n")
    write(tmp_path, "a.yaml", REFUSED)
    result = lint(["broken.yaml", "missing.yaml", "a.yaml", "--exit-zero"], tmp_path)
    assert result.code == 2
    assert "missing.yaml: NMP002 [error] no such file or directory" in result.stderr
    assert any(line.startswith("broken.yaml:") and "invalid YAML" in line for line in result.stderr.splitlines())
    assert "Traceback" not in result.stderr
    assert "NMP101" in result.stdout  # the readable file is still linted


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", REFUSED)
    assert lint(["a.yaml", "--select", "NMP999"], tmp_path).code == 2
    assert lint(["a.yaml", "--output-format", "xml"], tmp_path).code == 2
    assert lint(["a.yaml", "--color", "sometimes"], tmp_path).code == 2
    result = lint(["a.yaml", "--select", "bogus"], tmp_path)
    assert "unknown rule selector 'bogus'" in result.stderr


def test_select_ignore_and_extend_select(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", REFUSED + "  megatron_amp_02: True\n")

    def codes(*args: str) -> set[str]:
        out = lint(["a.yaml", "--output-format", "json", *args], tmp_path).stdout
        return {record["code"] for record in json.loads(out)}

    assert codes("--select", "NMP101") == {"NMP101"}
    assert codes("--select", "NMP11,fp8-format-missing") == {"NMP101", "NMP113"}
    assert codes("--select", "NMP101", "--extend-select", "NMP113") == {"NMP101", "NMP113"}
    assert "NMP113" not in codes("--ignore", "NMP11")
    assert codes("--select", "ALL", "--ignore", "NMP1") == set()


def test_github_format_is_chosen_under_github_actions_with_a_step_summary(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", REFUSED)
    summary = tmp_path / "summary.md"
    result = lint(["a.yaml", "--select", "NMP101"], tmp_path,
                  env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    assert result.stdout.startswith("::error title=nemo-migrate (NMP101),file=a.yaml,line=5,col=3,endColumn=6,endLine=5::")
    assert "| `a.yaml:5:3` | NMP101 | error |" in summary.read_text()


def test_output_file_quiet_and_color(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", REFUSED)
    result = lint(["a.yaml", "--output-format", "sarif", "--output-file", "out.sarif", "-q"], tmp_path)
    assert (result.code, result.stdout, result.stderr) == (1, "", "")
    assert json.loads((tmp_path / "out.sarif").read_text())["version"] == "2.1.0"
    assert "\x1b[" in lint(["a.yaml", "--color", "always"], tmp_path).stdout
    assert "\x1b[" not in lint(["a.yaml", "--color", "never"], tmp_path).stdout
    assert "\x1b[" not in lint(["a.yaml"], tmp_path, env={"NO_COLOR": "1"}).stdout


def test_pyproject_settings_per_file_ignores_and_config_overrides(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", (
        "[project]\nname = 'x'\n\n[tool.nemo-migrate]\nselect = ['NMP1']\nignore = ['NMP120']\n"
        "fail-on = 'error'\noutput-format = 'concise'\n\n"
        "[tool.nemo-migrate.per-file-ignores]\n'legacy/*.yaml' = ['NMP113']\n"
    ))
    write(tmp_path, "legacy/old.yaml", WARNS)
    write(tmp_path, "new/w.yaml", WARNS)
    result = lint([".", "--show-info"], tmp_path)
    assert result.code == 0  # fail-on error; only warnings
    found = {tuple(line.split(" ")[:2]) for line in result.stdout.splitlines()}
    assert found == {("legacy/old.yaml:2:3:", "NMP121"), ("new/w.yaml:2:3:", "NMP121"), ("new/w.yaml:4:3:", "NMP113")}
    assert lint([".", "--config", "fail-on = 'warning'"], tmp_path).code == 1
    write(tmp_path, "other.toml", "select = ['NMP101']\n")
    assert lint([".", "--config", "other.toml"], tmp_path).stdout == ""
    write(tmp_path, "bad.toml", "selct = ['NMP101']\n")
    result = lint([".", "--config", "bad.toml"], tmp_path)
    assert result.code == 2 and "unknown setting 'selct'" in result.stderr


def test_noqa_on_the_line_file_level_and_unused(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", (
        "trainer:\n  precision: bf16  # noqa: NMP106\nmodel:\n"
        "  megatron_amp_02: True  # noqa: NMP113\n  fp8: True # NOQA\n  transformer_engine: True\n"
        "  note: '# noqa: NMP130'\n"
    ))
    out = lint(["a.yaml", "--output-format", "json", "--select", "NMP0,NMP10,NMP11"], tmp_path).stdout
    found = [(r["code"], r["location"]["row"], r["location"]["column"]) for r in json.loads(out)]
    assert found == [("NMP001", 2, 20)]
    write(tmp_path, "b.yaml", "# nemo-migrate: noqa: NMP101\n" + REFUSED)
    assert lint(["b.yaml", "--select", "NMP101"], tmp_path).stdout == ""
    write(tmp_path, "c.yaml", "# nemo-migrate: noqa\n" + REFUSED)
    assert lint(["c.yaml"], tmp_path).code == 0


def test_python_is_detected_from_content_on_stdin(tmp_path: Path) -> None:
    result = lint(["-", "--output-format", "concise"], tmp_path, stdin=PYTHON)
    assert result.stdout.startswith("<stdin>:3:64: NMP302 [error]")
    result = lint(["-", "--stdin-filename", "train.py", "--output-format", "concise"], tmp_path, stdin=PYTHON)
    assert result.stdout.startswith("train.py:3:64: NMP302")


def test_directories_find_yaml_and_python_but_skip_virtual_envs(tmp_path: Path) -> None:
    write(tmp_path, "conf/a.yaml", REFUSED)
    write(tmp_path, "scripts/train.py", PYTHON)
    write(tmp_path, ".venv/lib/x.yaml", REFUSED)
    write(tmp_path, "venv/y.py", PYTHON)
    out = lint([".", "--output-format", "json", "--select", "NMP101,NMP302"], tmp_path).stdout
    assert sorted(Path(r["filename"]).as_posix() for r in json.loads(out)) == ["conf/a.yaml", "scripts/train.py"]


def test_yaml_only_runs_import_neither_libcst_nor_torch(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", REFUSED)
    code = (
        "import sys\nfrom migrate.lint.command import LintRequest, run_lint\n"
        "run_lint(LintRequest(paths=('a.yaml',), quiet=True))\n"
        "print(sorted(m for m in ('libcst', 'torch', 'rich', 'hydra') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT)}, check=True).stdout
    assert out.splitlines()[-1] == "[]"


def test_rule_command_explains_one_or_all(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from migrate.cli import app

    one = CliRunner().invoke(app, ["rule", "NMP101"])
    assert one.exit_code == 0 and one.stdout.startswith("## NMP101 `fp8-format-missing`")
    assert RULES["NMP101"].bad in one.stdout
    by_name = CliRunner().invoke(app, ["rule", "fp8-format-missing", "--output-format", "json"])
    assert json.loads(by_name.stdout)["code"] == "NMP101"
    everything = CliRunner().invoke(app, ["rule", "--all"])
    assert everything.stdout == (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    unknown = CliRunner().invoke(app, ["rule", "NMP999"])
    assert unknown.exit_code == 2


def test_env_values_resolve_oc_env_interpolations(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "trainer:\n  precision: ${oc.env:PRECISION}\nmodel:\n  megatron_amp_O2: True\n")
    unresolved = lint(["a.yaml", "--output-format", "concise", "--select", "NMP100"], tmp_path)
    assert unresolved.stdout.startswith("a.yaml:2:3: NMP100 [error] trainer.precision = ${oc.env:PRECISION} cannot be resolved")
    resolved = lint(["a.yaml", "--select", "NMP100,NMP106", "--env", "PRECISION=bf16-true", "--output-format", "concise"], tmp_path)
    assert resolved.stdout.startswith("a.yaml:2:3: NMP106 [error]")
    assert lint(["a.yaml", "--env", "PRECISION"], tmp_path).code == 2


def test_a_crashing_rule_is_reported_as_an_unlintable_file(tmp_path: Path, monkeypatch) -> None:
    import dataclasses

    from migrate.lint import registry

    def explode(ctx):
        raise ZeroDivisionError("boom")

    monkeypatch.setitem(registry.RULES, "NMP101", dataclasses.replace(registry.RULES["NMP101"], check=explode))
    write(tmp_path, "a.yaml", REFUSED)
    result = lint(["a.yaml"], tmp_path)
    assert result.code == 2
    assert "a.yaml: NMP002 [error] internal error in rule NMP101 (ZeroDivisionError: boom); please report it" in result.stderr
    assert "Traceback" not in result.stderr


def test_file_kind_comes_from_content(tmp_path: Path) -> None:
    write(tmp_path, "recipe.yaml", "step_scheduler:\n  max_steps: 10\nfp8:\n  enabled: true\n")
    write(tmp_path, "train", PYTHON)  # no suffix: Python by content
    write(tmp_path, "nemo2.yaml", "plugins:\n  _target_: nemo.lightning.MegatronMixedPrecision\n  precision: bf16-mixed\n")
    out = lint(["recipe.yaml", "train", "nemo2.yaml", "--output-format", "concise"], tmp_path).stdout
    assert [line.split(" ")[:2] for line in out.splitlines()] == [["recipe.yaml:4:3:", "NMP202"], ["train:3:64:", "NMP302"]]


def test_statistics_counts_per_rule(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", REFUSED + "  megatron_amp_02: True\n")
    out = lint(["a.yaml", "--statistics", "--select", "NMP101,NMP113"], tmp_path).stdout
    assert out == "     1  NMP101  fp8-format-missing\n     1  NMP113  unknown-precision-key\n"


def test_python_noqa_for_this_tool_and_others(tmp_path: Path) -> None:
    write(tmp_path, "train.py", (
        "from nemo import lightning as nl\n\n"
        "plugin = nl.MegatronMixedPrecision(precision='bf16-mixed', fp8=True)  # noqa: NMP302\n"
        "other = nl.MegatronMixedPrecision(precision='bf16-mixed', fp8=True)  # noqa: E501, NMP301\n"
        "f = lambda: 1  # noqa: E731\n"
        "g = 2  # noqa\n"
    ))
    out = lint(["train.py", "--output-format", "concise"], tmp_path).stdout
    assert [line.split(" [")[0] for line in out.splitlines()] == ["train.py:4:63: NMP302", "train.py:4:70: NMP001"]


def test_sarif_paths_are_relative_to_the_git_work_tree(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path, "conf/a.yaml", REFUSED)
    out = lint(["a.yaml", "--output-format", "sarif", "--select", "NMP101"], tmp_path / "conf").stdout
    location = json.loads(out)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "conf/a.yaml"

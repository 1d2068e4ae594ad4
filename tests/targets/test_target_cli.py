"""`convert --target bridge|automodel`: outputs, --out-dir suffixes and --into for AutoModel recipes."""

from __future__ import annotations

import ast
from pathlib import Path

import yaml

from cli_helpers import run_cli

CONFIG = "fixtures/convert/legacy_fp8_absent_history.yaml"
RECIPE = """\
# my recipe
step_scheduler:
  max_steps: 20000   # long run

model:
  _target_: nemo_automodel.NeMoAutoModelForCausalLM.from_pretrained
  pretrained_model_name_or_path: meta-llama/Llama-3.2-1B
"""


def test_bridge_module_on_stdout_parses_and_keeps_delayed_scaling() -> None:
    result = run_cli(["convert", CONFIG, "--target", "bridge"])
    assert result.code == 0, result.stderr
    ast.parse(result.stdout)
    assert 'fp8_recipe="delayed"' in result.stdout and "fp8_amax_history_len=1024" in result.stdout


def test_automodel_yaml_on_stdout_parses_and_warns_about_torchao() -> None:
    result = run_cli(["convert", CONFIG, "--target", "automodel"])
    assert result.code == 0, result.stderr
    data = yaml.safe_load(result.stdout)
    assert data["fp8"]["enabled"] is True and data["distributed"]["mp_policy"]["param_dtype"] == "bfloat16"
    assert "NMP123 [warning] AutoModel's fp8 block runs torchao" in result.stderr


def test_out_dir_uses_the_target_suffix(tmp_path: Path) -> None:
    assert run_cli(["convert", CONFIG, "--target", "automodel", "--out-dir", str(tmp_path)]).code == 0
    assert [p.name for p in tmp_path.iterdir()] == ["legacy_fp8_absent_history.yaml"]


def test_into_automodel_recipe_diff_write_check(tmp_path: Path) -> None:
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE)
    base = ["convert", CONFIG, "--target", "automodel", "--into", str(recipe)]
    diff = run_cli([*base, "--diff"])
    assert diff.code == 1 and "+fp8:" in diff.stdout and recipe.read_text() == RECIPE
    assert run_cli(base).code == 0
    merged = recipe.read_text()
    assert merged.startswith("# my recipe\n") and "max_steps: 20000   # long run" in merged
    assert run_cli([*base, "--check"]).code == 0
    assert recipe.read_text() == merged


def test_into_is_refused_for_bridge(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text("x = 1\n")
    assert run_cli(["convert", CONFIG, "--target", "bridge", "--into", str(script)]).code == 2


def test_unknown_target_is_a_usage_error() -> None:
    assert run_cli(["convert", CONFIG, "--target", "megatron"]).code == 2

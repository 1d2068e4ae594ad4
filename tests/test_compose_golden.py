"""Golden outputs of composed runs (fixtures/compose): Hydra's defaults list merged, every value
traced to the file and line it came from; group files converted alone are skipped.

Regenerate after an intended change with NEMO_MIGRATE_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from cli_helpers import ROOT, run_cli
from golden import check_golden

CONF = "fixtures/compose/sd/conf"
GOLDEN = ROOT / "fixtures" / "compose" / "golden"

# name -> (command line, exit status)
CASES = {
    "sd_train": (["convert", f"{CONF}/sd_train.yaml"], 0),
    "sd_train_bridge": (["convert", f"{CONF}/sd_train.yaml", "--target", "bridge"], 0),
    "sd_train_automodel": (["convert", f"{CONF}/sd_train.yaml", "--target", "automodel"], 0),
    "sd_self_first": (["convert", f"{CONF}/sd_self_first.yaml"], 0),
    "sd_self_last": (["convert", f"{CONF}/sd_self_last.yaml"], 0),
    "sd_optional_missing": (["convert", f"{CONF}/sd_optional_missing.yaml", "-v"], 0),
    "sd_env_option_without_env": (["convert", f"{CONF}/sd_env_option.yaml"], 0),
    "sd_env_option_with_env": (["convert", f"{CONF}/sd_env_option.yaml", "--env", "TP=4", "--env", "GPU_ARCH=h"], 0),
    "sd_group_choice_refused": (["convert", f"{CONF}/sd_train.yaml", "--set", "optim@model.optim=megatron_fused_adam"], 2),
    "custom_alone": (["convert", f"{CONF}/custom.yaml"], 2),
    "fragment_optim": (["convert", f"{CONF}/optim/distributed_fused_adam.yaml"], 0),
    "fragment_tp_overlap": (["convert", f"{CONF}/tp_overlap/h100tp4.yaml"], 0),
    "relative_groups": (["convert", "fixtures/compose/relative/nlp/conf/t5_like.yaml"], 0),
    "fragment_dot_package": (["convert", "fixtures/compose/relative/nlp/conf/layer_base.yaml"], 0),
    "lint_sd_train": (["lint", "--output-format", "concise", f"{CONF}/sd_train.yaml"], 1),
    "lint_sd_train_full": (["lint", f"{CONF}/sd_train.yaml", "--select", "NMP120"], 0),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_composed_golden(name: str) -> None:
    args, code = CASES[name]
    result = run_cli(args)
    assert result.code == code, result.stderr
    check_golden(GOLDEN / f"{name}.out", result.stdout)
    check_golden(GOLDEN / f"{name}.err", result.stderr)
    if args[0] == "convert" and result.stdout and "automodel" not in args:
        ast.parse(result.stdout)


def test_composed_output_is_a_fixed_point(tmp_path: Path) -> None:
    out = tmp_path / "plugin.py"
    args = ["convert", f"{CONF}/sd_train.yaml", "-o", str(out)]
    assert run_cli(args).code == 0
    first = out.read_bytes()
    assert run_cli(args).code == 0
    assert out.read_bytes() == first

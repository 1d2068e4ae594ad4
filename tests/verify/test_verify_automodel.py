"""`verify --target automodel` (CPU): AutoModel YAML rows, approximate FP8 rows, strict dtype rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import run_cli

from migrate.convert import ConvertOptions
from migrate.verify import numeric
from migrate.verify.check import structural_check

VERIFY = Path(__file__).resolve().parents[2] / "fixtures" / "verify"
AUTOMODEL = ConvertOptions(target="automodel")
DTYPES = "model:\n  torch_dtype: float32\ndistributed:\n  mp_policy:\n    param_dtype: bfloat16\n    reduce_dtype: float32\n"
TENSORWISE = "fp8:\n  enabled: true\n  recipe_name: tensorwise\n"


def check(yaml: str, text: str | None = None, tmp_path: Path | None = None):
    path = None
    if text is not None:
        path = tmp_path / "automodel.yaml"
        path.write_text(text)
        path = str(path)
    return structural_check(str(VERIFY / yaml), AUTOMODEL, path)


def statuses(result) -> dict[str, tuple]:
    return {row.key: (row.legacy, row.migrated, row.status) for row in result.structural.rows}


def test_delayed_scaling_rows_are_approximate_and_dtypes_equal():
    result = structural_check(str(VERIFY / "delayed_hybrid.yaml"), AUTOMODEL, str(VERIFY / "automodel_delayed_hybrid.yaml"))
    rows = statuses(result)
    assert result.approximate and result.torchao_recipe == "tensorwise"
    assert rows["recipe_class"] == ("DelayedScaling", "torchao Float8Linear tensorwise (dynamic per-tensor)", "approximate")
    assert rows["amax_history_len"] == (1024, None, "approximate")
    assert rows["fp8_format"] == ("hybrid", "hybrid", "equal")
    for key in ("precision", "amp_mode", "params_dtype", "grad_reduce_dtype", "loss_scaler"):
        assert rows[key][2] == "equal", key
    assert rows["pipeline_dtype"] == ("bf16", None, "n/a")
    assert result.structural.differences == () and result.equivalent
    assert result.migrated_run.recipe is None  # torchao has no TE recipe


def test_generated_blocks_are_read_back():
    result = check("delayed_hybrid.yaml")  # convert --target automodel, read back
    assert result.structural.differences == () and result.torchao_recipe == "tensorwise"


def test_rowwise_gradients_are_e4m3_like_the_legacy_e4m3_run():
    rows = statuses(structural_check(str(VERIFY / "e4m3.yaml"), AUTOMODEL, str(VERIFY / "automodel_rowwise.yaml")))
    assert rows["fp8_format"] == ("e4m3", "e4m3", "equal")
    tensorwise = statuses(structural_check(str(VERIFY / "e4m3.yaml"), AUTOMODEL, str(VERIFY / "automodel_e4m3.yaml")))
    assert tensorwise["fp8_format"] == ("e4m3", "hybrid", "approximate")


def test_fp8_left_off_is_a_real_difference(tmp_path):
    result = check("delayed_hybrid.yaml", DTYPES + "fp8:\n  enabled: false\n", tmp_path)
    assert statuses(result)["fp8_format"] == ("hybrid", None, "differs")
    assert not result.equivalent


def test_bf16_storage_without_master_weights_differs_from_o2(tmp_path):
    text = DTYPES.replace("float32\ndistributed", "bfloat16\ndistributed") + TENSORWISE
    rows = statuses(check("delayed_hybrid.yaml", text, tmp_path))
    assert rows["amp_mode"] == ("O2", "bf16 weights without fp32 master", "differs")
    fused = text + "optimizer:\n  _target_: transformer_engine.pytorch.optimizers.fused_adam.FusedAdam\n  master_weights: true\n"
    assert statuses(check("delayed_hybrid.yaml", fused, tmp_path))["amp_mode"][2] == "equal"


def test_fp16_loss_scaling_is_missing_in_automodel():
    """AutoModel builds no GradScaler: a limitation convert reports as automodel-fp16, never "equal"."""
    result = check("fp16_fp8.yaml")
    rows = statuses(result)
    assert rows["loss_scaler"] == ("dynamic", "none", "limitation")
    assert {row.code for row in result.structural.rows if row.key == "loss_scaler"} == {"automodel-fp16"}


def test_dtype_names_automodel_rejects_are_errors(tmp_path):
    result = check("delayed_hybrid.yaml", DTYPES.replace("param_dtype: bfloat16", "param_dtype: fp16") + TENSORWISE, tmp_path)
    assert result.structural.errors == (
        "distributed.mp_policy.param_dtype: 'fp16' is not a dtype AutoModel's dtype_from_str accepts (KeyError)",
    )
    unknown = check("delayed_hybrid.yaml", DTYPES + "fp8:\n  enabled: true\n  recipe_name: blockwise\n", tmp_path)
    assert unknown.structural.errors == ("fp8.recipe_name 'blockwise': torchao's from_recipe_name rejects it (AssertionError)",)


def test_mp_policy_defaults_apply_when_omitted(tmp_path):
    rows = statuses(check("delayed_hybrid.yaml", "model:\n  torch_dtype: float32\n" + TENSORWISE, tmp_path))
    assert rows["precision"] == ("bf16", "bf16", "equal")
    assert rows["grad_reduce_dtype"] == ("fp32", "fp32", "equal")


def test_yaml_without_automodel_sections_is_bad_input(tmp_path):
    path = tmp_path / "other.yaml"
    path.write_text("trainer:\n  precision: bf16\n")
    result = run_cli(["verify", "fixtures/verify/delayed_hybrid.yaml", "--target", "automodel", "--generated", str(path)])
    assert result.code == 2
    assert result.stderr.strip() == f"{path}: error: no AutoModel model/distributed/fp8 section found: nothing to verify"


def test_cli_structural_only_is_approximate_not_equivalent(monkeypatch, tmp_path):
    monkeypatch.setattr(numeric, "unavailable_reason", lambda: "no CUDA device")
    out = tmp_path / "verify.json"
    result = run_cli(["verify", "fixtures/verify/delayed_hybrid.yaml", "--target", "automodel",
                      "--generated", "fixtures/verify/automodel_delayed_hybrid.yaml", "--json", str(out)])
    assert result.code == 0, result.stderr
    assert "APPROXIMATE" in result.stdout and "EQUIVALENT" not in result.stdout
    document = json.loads(out.read_text())
    assert document["verdict"] == "approximate (structural only)"
    assert document["numeric"] == {"ran": False, "mode": "approximate", "skipped_reason": "no CUDA device"}
    # fp16 has no loss scaler in AutoModel: a limitation convert reports, counted only with --strict
    fp16 = run_cli(["verify", "fixtures/verify/fp16_fp8.yaml", "--target", "automodel", "--no-numeric"])
    assert fp16.code == 0 and "limitation" in fp16.stdout
    strict = run_cli(["verify", "fixtures/verify/fp16_fp8.yaml", "--target", "automodel", "--no-numeric", "--strict"])
    assert strict.code == 1


def test_approximate_numeric_needs_fp8_on_both_sides():
    from migrate.verify.check import numeric_runnable

    result = check("bf16_no_fp8.yaml")
    assert numeric_runnable(result) == "the approximate check compares TE FP8 with torchao FP8, and FP8 is not on in both runs"


@pytest.mark.parametrize("name", ["automodel_delayed_hybrid.yaml", "automodel_e4m3.yaml"])
def test_stored_blocks_match_what_convert_writes_today(name):
    """The GPU tests read these stored outputs; their keys must stay what `convert --target automodel` writes."""
    from migrate.convert import convert_path

    source = "fixtures/verify/" + name.removeprefix("automodel_")
    import os

    previous = os.getcwd()
    os.chdir(VERIFY.parents[1])
    try:
        written = convert_path(source, AUTOMODEL).output
    finally:
        os.chdir(previous)
    import yaml

    # Data only: comments and the header's version line may change without touching what is read.
    assert yaml.safe_load(written) == yaml.safe_load((VERIFY / name).read_text())

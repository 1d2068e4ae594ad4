"""Structural check (CPU): both sides' effective settings, their differences, and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate.convert import ConvertOptions
from migrate.errors import InputError
from migrate.verify.check import GENERATED, structural_check
from migrate.verify.recipes import recipe_config, run_config

VERIFY = Path(__file__).resolve().parents[2] / "fixtures" / "verify"
HEADER = "import torch\nfrom nemo import lightning as nl\n"


def check(yaml: str | Path, script: str | None = None, tmp_path: Path | None = None, **options):
    python = None
    if script is not None:
        python = tmp_path / "migrated.py"
        python.write_text(script)
        python = str(python)
    return structural_check(str(yaml), ConvertOptions(**options), python, strict=False)


def statuses(result) -> dict[str, str]:
    return {row.key: row.status for row in result.structural.rows}


def yaml_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "legacy.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "name", ["delayed_hybrid.yaml", "e4m3.yaml", "history_default.yaml", "fp16_fp8.yaml", "bf16_no_fp8.yaml"]
)
def test_generated_module_is_structurally_equivalent(name):
    result = check(VERIFY / name)
    assert result.python_path == GENERATED
    assert result.structural.differences == ()
    assert result.structural.errors == ()
    assert result.equivalent


def test_fp16_rows_include_loss_scaler_and_the_missing_floor_is_a_limitation():
    result = check(VERIFY / "fp16_fp8.yaml")
    rows = {row.key: row for row in result.structural.rows}
    assert (rows["initial_loss_scale"].legacy, rows["initial_loss_scale"].migrated) == (1024.0, 1024.0)
    assert (rows["loss_scale_window"].status, rows["hysteresis"].status) == ("equal", "equal")
    assert (rows["min_loss_scale"].legacy, rows["min_loss_scale"].migrated, rows["min_loss_scale"].status) == (None, 1.0, "limitation")
    assert result.structural.equivalent() and not result.structural.equivalent(strict=True)


def test_naive_migration_differs_on_history_and_algorithm():
    result = structural_check(str(VERIFY / "history_default.yaml"), ConvertOptions(), str(VERIFY / "naive_history_default.py"))
    rows = {row.key: row for row in result.structural.differences}
    assert set(rows) == {"amax_history_len", "amax_compute_algo"}
    assert (rows["amax_history_len"].legacy, rows["amax_history_len"].migrated) == (1024, 1)
    assert (rows["amax_compute_algo"].legacy, rows["amax_compute_algo"].migrated) == ("max", "most_recent")
    assert "legacy path code default" in rows["amax_history_len"].legacy_why
    assert rows["amax_history_len"].migrated_why == "MegatronMixedPrecision default fp8_amax_history_len=1 (NeMo 2.7)"
    assert not result.equivalent
    assert result.legacy_run.recipe.describe() == (
        "DelayedScaling(fp8_format=Format.HYBRID, margin=0, amax_history_len=1024, amax_compute_algo='max', "
        "reduce_amax=True, fp8_dpa=False, fp8_mha=False)"
    )
    assert dict(result.migrated_run.recipe.kwargs)["amax_history_len"] == 1


def test_fp8_as_bool_is_an_error_of_the_migrated_side(tmp_path):
    script = HEADER + "plugin = nl.MegatronMixedPrecision(precision='bf16-mixed', params_dtype=torch.bfloat16, fp8=True,\n    fp8_amax_history_len=1024, fp8_amax_compute_algo='max')\n"
    result = check(VERIFY / "history_default.yaml", script, tmp_path)
    assert any("E4M3 and HYBRID are the only supported FP8 formats" in error for error in result.structural.errors)
    assert not result.equivalent


def test_unknown_precision_string_trains_in_fp32(tmp_path):
    script = HEADER + "plugin = nl.MegatronMixedPrecision('bf16-true', params_dtype=torch.bfloat16)\n"
    result = check(VERIFY / "bf16_no_fp8.yaml", script, tmp_path)
    row = next(row for row in result.structural.rows if row.key == "precision")
    assert (row.legacy, row.migrated, row.status) == ("bf16", "fp32", "differs")
    assert "silently trains in fp32" in row.migrated_why
    assert "pipeline_dtype" in {row.key for row in result.structural.differences}


def test_positional_precision_and_integer_16_are_understood(tmp_path):
    script = HEADER + "plugin = nl.MegatronMixedPrecision(16, params_dtype=torch.half, pipeline_dtype=torch.float16,\n    fp8='hybrid', fp8_amax_history_len=1024, fp8_amax_compute_algo='max', fp16_initial_loss_scale=1024, fp16_loss_scale_window=4)\n"
    result = check(VERIFY / "fp16_fp8.yaml", script, tmp_path)
    assert result.structural.differences == ()
    assert result.migrated_run.dtype == "fp16"


def test_argument_unknown_to_the_target_release_is_a_type_error(tmp_path):
    script = HEADER + "plugin = nl.MegatronMixedPrecision(precision='bf16-mixed', params_dtype=torch.bfloat16, fp8_params=False)\n"
    result = check(VERIFY / "bf16_no_fp8.yaml", script, tmp_path, target_nemo="2.3")
    assert result.structural.errors == ("TypeError: MegatronMixedPrecision() got an unexpected keyword argument 'fp8_params' (NeMo 2.3)",)
    assert check(VERIFY / "bf16_no_fp8.yaml", script, tmp_path, target_nemo="2.4").structural.errors == ()


def test_dropped_grad_sync_dtype_shows_as_grad_reduce_difference(tmp_path):
    legacy = yaml_file(tmp_path, "trainer:\n  precision: bf16\nmodel:\n  megatron_amp_O2: True\n  optim:\n    name: distributed_fused_adam\n    grad_sync_dtype: bf16\n")
    script = HEADER + "plugin = nl.MegatronMixedPrecision(precision='bf16-mixed', params_dtype=torch.bfloat16)\n"
    result = check(legacy, script, tmp_path)
    row = next(row for row in result.structural.differences)
    assert (row.key, row.legacy, row.migrated) == ("grad_reduce_dtype", "bf16", "fp32")
    assert check(legacy).structural.differences == ()  # the emitter maps it


def test_o1_is_a_limitation_that_only_strict_counts(tmp_path):
    legacy = yaml_file(tmp_path, "trainer:\n  precision: bf16\nmodel:\n  megatron_amp_O2: False\n")
    result = check(legacy)
    row = next(row for row in result.structural.rows if row.key == "amp_mode")
    assert (row.legacy, row.migrated, row.status) == ("O1", "O2", "limitation")
    assert result.equivalent
    result.strict = True
    assert not result.equivalent


def test_reduce_amax_false_is_a_limitation(tmp_path):
    legacy = yaml_file(tmp_path, (VERIFY / "delayed_hybrid.yaml").read_text().replace("reduce_amax: True", "reduce_amax: False"))
    result = check(legacy)
    row = next(row for row in result.structural.rows if row.key == "reduce_amax")
    assert (row.legacy, row.migrated, row.status) == (False, True, "limitation")


def test_tensorwise_recipe_takes_format_and_dpa_only(tmp_path):
    legacy = yaml_file(
        tmp_path,
        "trainer:\n  precision: bf16\nmodel:\n  megatron_amp_O2: True\n  mcore_gpt: True\n  transformer_engine: True\n"
        "  fp8: True\n  fp8_hybrid: True\n  fp8_recipe: tensorwise\n",
    )
    result = check(legacy, nemo1_version="2.x")
    assert result.structural.differences == ()
    assert recipe_config(result.migrated).describe() == "Float8CurrentScaling(fp8_format=Format.HYBRID, fp8_dpa=False)"
    assert run_config(result.legacy).recipe == run_config(result.migrated).recipe


def test_non_literal_argument_is_bad_input_with_location(tmp_path):
    script = HEADER + "HISTORY = 1024\nplugin = nl.MegatronMixedPrecision(\n    precision='bf16-mixed', fp8_amax_history_len=HISTORY)\n"
    with pytest.raises(InputError) as error:
        check(VERIFY / "bf16_no_fp8.yaml", script, tmp_path)
    assert str(error.value).endswith("migrated.py:4:10: argument fp8_amax_history_len is not a literal (HISTORY): verify reads literal arguments only")


def test_missing_or_repeated_plugin_call_is_bad_input(tmp_path):
    with pytest.raises(InputError, match="no nl.MegatronMixedPrecision"):
        check(VERIFY / "bf16_no_fp8.yaml", "x = 1\n", tmp_path)
    twice = HEADER + "a = nl.MegatronMixedPrecision('bf16-mixed')\nb = nl.MegatronMixedPrecision('bf16-mixed')\n"
    with pytest.raises(InputError) as error:
        check(VERIFY / "bf16_no_fp8.yaml", twice, tmp_path)
    assert ":4:5: 2 MegatronMixedPrecision calls (lines 3, 4)" in str(error.value)


@pytest.mark.parametrize("target", ["2.0", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7"])
@pytest.mark.parametrize("name", ["delayed_hybrid.yaml", "fp16_fp8.yaml"])
def test_generated_module_is_equivalent_for_every_target_release(name, target):
    result = check(VERIFY / name, target_nemo=target)
    assert result.structural.differences == () and result.structural.errors == ()


def test_independent_signature_table_agrees_with_the_emitter():
    """Two tables written separately from the notes: a disagreement means one of them is wrong."""
    from migrate.target_api.nemo2 import REQUIRED as EMIT_REQUIRED
    from migrate.target_api.nemo2 import SIGNATURES
    from migrate.verify.nemo2_signatures import PARAMETERS, REQUIRED

    assert list(PARAMETERS) == list(SIGNATURES)
    for version, parameters in PARAMETERS.items():
        ours = {name: ("required" if default == REQUIRED else default) for name, default in parameters}
        theirs = {name: ("required" if default is EMIT_REQUIRED else default) for name, default in SIGNATURES[version].items()}
        assert ours == theirs, version


def test_nemo_run_config_form_is_read(tmp_path):
    script = (
        "import nemo_run as run\nimport torch\nfrom nemo import lightning as nl\n"
        "plugin = run.Config(nl.MegatronMixedPrecision, precision='bf16-mixed', params_dtype=torch.bfloat16,\n"
        "    fp8='hybrid', fp8_amax_history_len=1024, fp8_amax_compute_algo='max')\n"
    )
    result = check(VERIFY / "history_default.yaml", script, tmp_path)
    assert result.structural.differences == ()


# --- NeMo 2.6/2.7: fp4 / fp4_recipe (NVFP4). NeMo 1.x never trained in FP4. -------------------------

BF16_O2 = "precision='bf16-mixed', params_dtype=torch.bfloat16"


@pytest.mark.parametrize("target", ["2.6", "2.7"])
def test_fp4_in_a_migrated_script_is_a_difference(target, tmp_path):
    script = HEADER + f"plugin = nl.MegatronMixedPrecision({BF16_O2}, fp4='e2m1')\n"
    result = check(VERIFY / "bf16_no_fp8.yaml", script, tmp_path, target_nemo=target)
    row = next(row for row in result.structural.rows if row.key == "fp4_format")
    assert (row.legacy, row.migrated, row.status) == (None, "e2m1", "differs")
    assert row.legacy_why == "NeMo 1.x has no FP4 (NVFP4) training"
    assert "NVFP4" in row.migrated_why and f"fp4_recipe='nvfp4' (NeMo {target})" in row.migrated_why
    assert result.structural.errors == () and not result.equivalent


def test_fp4_left_at_its_default_adds_no_row(tmp_path):
    script = HEADER + f"plugin = nl.MegatronMixedPrecision({BF16_O2}, fp4=None, fp4_recipe='nvfp4')\n"
    result = check(VERIFY / "bf16_no_fp8.yaml", script, tmp_path, target_nemo="2.7")
    assert "fp4_format" not in {row.key for row in result.structural.rows}
    assert result.equivalent


def test_fp4_before_nemo_2_6_is_a_type_error(tmp_path):
    script = HEADER + f"plugin = nl.MegatronMixedPrecision({BF16_O2}, fp4='e2m1', fp4_recipe='nvfp4')\n"
    errors = check(VERIFY / "bf16_no_fp8.yaml", script, tmp_path, target_nemo="2.5").structural.errors
    assert errors == (
        "TypeError: MegatronMixedPrecision() got an unexpected keyword argument 'fp4' (NeMo 2.5)",
        "TypeError: MegatronMixedPrecision() got an unexpected keyword argument 'fp4_recipe' (NeMo 2.5)",
    )


@pytest.mark.parametrize(
    "arguments,error",
    [
        ("fp4='e2m1', fp8='hybrid'", "fp4 and fp8 both set: Megatron-core TransformerConfig raises ValueError"),
        ("fp4='e2m1', fp4_recipe='custom'",
         "fp4_recipe='custom' needs fp4_quantizer_factory, which MegatronMixedPrecision cannot set: Megatron-core raises"),
        ("fp4='e2m1', fp4_recipe='mxfp4'",
         "fp4_recipe='mxfp4': Megatron-core get_fp4_recipe raises (NVFP4BlockScaling is the FP4 recipe)"),
    ],
)
def test_fp4_combinations_megatron_core_refuses(arguments, error, tmp_path):
    script = HEADER + f"plugin = nl.MegatronMixedPrecision({BF16_O2}, {arguments})\n"
    assert error in check(VERIFY / "bf16_no_fp8.yaml", script, tmp_path, target_nemo="2.7").structural.errors


def test_fp4_recipe_without_fp4_is_inert(tmp_path):
    script = HEADER + f"plugin = nl.MegatronMixedPrecision({BF16_O2}, fp4_recipe='custom')\n"
    result = check(VERIFY / "bf16_no_fp8.yaml", script, tmp_path, target_nemo="2.7")
    assert result.structural.errors == () and result.equivalent


def test_positional_arguments_shift_past_fp8_param_gather_in_nemo_2_6(tmp_path):
    """2.6 inserts fp4, fp4_recipe after fp8_param_gather: the 18th positional value is fp4, not fp16_loss_scale."""
    positional = "'bf16-mixed', torch.bfloat16, None, None, False, True, None, 'delayed', False, 0, 1, 'most_recent', True, False, False, None, False, 'e2m1'"
    script = HEADER + f"plugin = nl.MegatronMixedPrecision({positional})\n"
    on_2_6 = check(VERIFY / "bf16_no_fp8.yaml", script, tmp_path, target_nemo="2.6")
    assert {row.key: row.migrated for row in on_2_6.structural.differences} == {"fp4_format": "e2m1"}
    on_2_5 = check(VERIFY / "bf16_no_fp8.yaml", script, tmp_path, target_nemo="2.5")
    assert "fp4_format" not in {row.key for row in on_2_5.structural.rows}  # there it is fp16_loss_scale
    assert on_2_5.structural.errors == ("fp16_loss_scale='e2m1' is not a number: Megatron-core's loss scaler cannot use it",)


@pytest.mark.parametrize(
    "arguments,error",
    [
        ("fp16_loss_scale='128'", "fp16_loss_scale='128' is not a number: Megatron-core's loss scaler cannot use it"),
        ("fp16_initial_loss_scale='big'", "fp16_initial_loss_scale='big' is not a number: Megatron-core's loss scaler cannot use it"),
        ("fp16_hysteresis=None", "fp16_hysteresis=None: Megatron-core's DynamicGradScaler needs a number"),
    ],
)
def test_unusable_loss_scale_arguments_are_errors_not_crashes(arguments, error, tmp_path):
    script = HEADER + f"plugin = nl.MegatronMixedPrecision('16-mixed', params_dtype=torch.half, pipeline_dtype=torch.half, {arguments})\n"
    result = check(VERIFY / "fp16_fp8.yaml", script, tmp_path)
    assert error in result.structural.errors
    assert result.migrated_run.scaler is None


@pytest.mark.parametrize("target", ["nemo2", "bridge"])
@pytest.mark.parametrize("mha", ["", "  fp8_multi_head_attention: True\n"])
def test_current_scaling_never_runs_fp8_multi_head_attention(target, mha, tmp_path):
    """TE's Float8CurrentScaling has fp8_mha (default False) and Megatron-core's get_fp8_recipe passes only
    fp8_format (and fp8_dpa): the recipe holds False on both sides, whatever the config asks for."""
    legacy = yaml_file(
        tmp_path,
        "trainer:\n  precision: bf16\nmodel:\n  megatron_amp_O2: True\n  mcore_gpt: True\n  transformer_engine: True\n"
        "  fp8: True\n  fp8_hybrid: True\n  fp8_recipe: tensorwise\n" + mha,
    )
    result = check(legacy, nemo1_version="2.x", target=target)
    row = next(row for row in result.structural.rows if row.key == "fp8_mha")
    assert (row.legacy, row.migrated, row.status) == (False, False, "equal")
    assert "does not pass fp8_mha" in row.migrated_why


def test_delayed_scaling_still_takes_fp8_multi_head_attention(tmp_path):
    legacy = yaml_file(
        tmp_path,
        "trainer:\n  precision: bf16\nmodel:\n  megatron_amp_O2: True\n  mcore_gpt: True\n  transformer_engine: True\n"
        "  fp8: True\n  fp8_hybrid: True\n  fp8_recipe: delayed\n  fp8_multi_head_attention: True\n",
    )
    row = next(row for row in check(legacy, nemo1_version="2.x").structural.rows if row.key == "fp8_mha")
    assert (row.legacy, row.migrated, row.status) == (True, True, "equal")


def test_nemo2_constant_loss_scale_is_not_applied_in_backward():
    """NeMo 2.x never assigns Megatron-core's grad_scale_func: a constant scale is not applied either
    (the scale 1 convert writes for a run without loss scaler leaves the gradients unchanged)."""
    result = check(Path(__file__).resolve().parents[2] / "fixtures" / "convert" / "fsdp_fp16_v2x.yaml", nemo1_version="2.x")
    rows = {row.key: row for row in result.structural.rows}
    assert (rows["loss_scaler"].legacy, rows["loss_scaler"].migrated) == ("none", "constant")
    row = rows["loss_scale_applied"]
    assert (row.legacy, row.migrated, row.status, row.code) == (None, False, "limitation", "no-loss-scaler")
    assert result.equivalent

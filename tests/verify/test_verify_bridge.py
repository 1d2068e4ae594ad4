"""`verify --target bridge` (CPU): the Megatron Bridge side read back and compared row by row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import run_cli

from migrate.convert import ConvertOptions
from migrate.errors import InputError
from migrate.verify import numeric
from migrate.verify.check import GENERATED, structural_check

ROOT = Path(__file__).resolve().parents[2]
VERIFY = ROOT / "fixtures" / "verify"
TARGETS = ROOT / "fixtures" / "targets"
HEADER = "import torch\nfrom megatron.bridge.training.mixed_precision import MixedPrecisionConfig\n"
BF16 = "bf16=True, params_dtype=torch.bfloat16, pipeline_dtype=torch.bfloat16"


def check(yaml: str | Path, script: str | None = None, tmp_path: Path | None = None):
    python = None
    if script is not None:
        python = tmp_path / "bridge.py"
        python.write_text(script)
        python = str(python)
    return structural_check(str(yaml), ConvertOptions(target="bridge"), python)


def rows(result) -> dict:
    return {row.key: row for row in result.structural.rows}


@pytest.mark.parametrize(
    "name", ["delayed_hybrid.yaml", "e4m3.yaml", "history_default.yaml", "fp16_fp8.yaml", "bf16_no_fp8.yaml"]
)
def test_generated_bridge_module_is_structurally_equivalent(name):
    result = check(VERIFY / name)
    assert result.python_path == GENERATED
    assert result.structural.differences == () and result.structural.errors == ()
    assert result.equivalent


def test_recipe_name_resolves_through_the_verify_table():
    result = check(VERIFY / "bf16_no_fp8.yaml")  # convert writes mixed_precision = "bf16_mixed"
    found = rows(result)
    assert found["precision"].migrated == "bf16"
    assert found["params_dtype"].migrated_why.startswith("recipe bf16_mixed sets params_dtype")
    assert found["grad_reduce_dtype"].migrated == "fp32"


@pytest.mark.parametrize(
    "yaml, module",
    [
        ("convert/bf16_o2_mcore_fp8_hybrid.yaml", "bf16_o2_mcore_fp8_hybrid.py"),
        ("convert/fp8_e4m3_every_key.yaml", "fp8_e4m3_every_key.py"),
        ("convert/fp32.yaml", "fp32.py"),
        ("convert/nemo_model_config.yaml", "nemo_model_config.py"),
        ("targets/inputs/bf16_fp8_delayed_te_defaults.yaml", "bf16_fp8_delayed_te_defaults.py"),
        ("targets/inputs/fp16_o2_fp16_reduce.yaml", "fp16_o2_fp16_reduce.py"),
    ],
)
def test_golden_bridge_fixtures_verify(yaml, module):
    result = structural_check(str(ROOT / "fixtures" / yaml), ConvertOptions(target="bridge"), str(TARGETS / "bridge" / module))
    assert result.structural.differences == () and result.structural.errors == ()


def test_fp8_recipe_left_at_bridge_default_is_a_difference():
    result = check(VERIFY / "delayed_hybrid.yaml", None)
    wrong = structural_check(str(VERIFY / "delayed_hybrid.yaml"), ConvertOptions(target="bridge"),
                             str(VERIFY / "bridge_tensorwise_default.py"))
    assert result.equivalent and not wrong.equivalent
    differing = {row.key: (row.legacy, row.migrated) for row in wrong.structural.differences}
    assert differing["recipe_class"] == ("DelayedScaling", "Float8CurrentScaling")
    assert set(differing) == {"recipe_class", "margin", "amax_history_len", "amax_compute_algo", "reduce_amax"}
    assert "MixedPrecisionConfig default fp8_recipe='tensorwise'" in rows(wrong)["recipe_class"].migrated_why
    assert wrong.migrated_run.recipe.describe() == "Float8CurrentScaling(fp8_format=Format.HYBRID, fp8_dpa=False)"


def test_fp8_param_is_overwritten_by_fp8_param_gather(tmp_path):
    yaml = tmp_path / "legacy.yaml"
    yaml.write_text((VERIFY / "delayed_hybrid.yaml").read_text() + "  fp8_params: True\n")
    written = (f"{HEADER}mixed_precision = MixedPrecisionConfig({BF16}, fp8='hybrid', fp8_recipe='delayed',\n"
               "    fp8_amax_history_len=1024, fp8_amax_compute_algo='max', fp8_param=True)\n")
    row = rows(check(yaml, written, tmp_path))["fp8_params"]
    assert (row.legacy, row.migrated, row.status) == (True, False, "differs")
    assert "overwriting fp8_param=True" in row.migrated_why
    fixed = written.replace("fp8_param=True", "fp8_param_gather=True")
    assert check(yaml, fixed, tmp_path).structural.differences == ()


def test_omitted_params_dtype_copies_none_onto_the_model(tmp_path):
    script = f"{HEADER}mixed_precision = MixedPrecisionConfig(bf16=True, pipeline_dtype=torch.bfloat16)\n"
    row = rows(check(VERIFY / "bf16_no_fp8.yaml", script, tmp_path))["params_dtype"]
    assert (row.legacy, row.migrated, row.status) == ("bf16", None, "differs")
    assert "copies None" in row.migrated_why


@pytest.mark.parametrize(
    "script",
    [
        'mixed_precision = "bf16-mixed"\n',
        (
            'from megatron.bridge.training.mixed_precision import get_mixed_precision_config\n'
            'mixed_precision = get_mixed_precision_config("bf16_mixed")\n'
        ),
        'from megatron.bridge.training import mixed_precision as mp\nconfig = ConfigContainer(mixed_precision=mp.bf16_mixed())\n',
        'config = ConfigContainer(model=model, mixed_precision="bf16_mixed")\n',
        'cfg = recipe()\ncfg.mixed_precision = "bf16_mixed"\n',
    ],
)
def test_every_recipe_spelling_is_read(script, tmp_path):
    result = check(VERIFY / "bf16_no_fp8.yaml", script, tmp_path)
    assert result.structural.differences == () and result.structural.errors == ()


def test_unregistered_recipe_name_is_an_error_of_the_migrated_side(tmp_path):
    # The Bridge docs show "16-mixed"; it normalises to "16_mixed", which is not registered.
    result = check(VERIFY / "bf16_no_fp8.yaml", 'mixed_precision = "16-mixed"\n', tmp_path)
    assert result.structural.errors == ("ValueError: Unknown mixed-precision recipe '16-mixed' (get_mixed_precision_config)",)
    assert not result.equivalent


def test_current_scaling_recipe_keeps_bf16_edge_layers(tmp_path):
    result = check(VERIFY / "delayed_hybrid.yaml", 'mixed_precision = "bf16_with_fp8_current_scaling_mixed"\n', tmp_path)
    found = rows(result)
    assert found["recipe_class"].migrated == "Float8CurrentScaling"
    assert (found["first_last_layers_bf16"].migrated, found["num_layers_at_start_in_bf16"].migrated) == (True, 1)
    assert found["fp8_params"].migrated is True


def test_bf16_edge_layers_with_delayed_scaling_is_rejected_like_megatron_core(tmp_path):
    script = f"{HEADER}mixed_precision = MixedPrecisionConfig({BF16}, fp8='hybrid', fp8_recipe='delayed', first_last_layers_bf16=True)\n"
    errors = check(VERIFY / "delayed_hybrid.yaml", script, tmp_path).structural.errors
    assert errors == ("first_last_layers_bf16 with fp8_recipe 'delayed': Megatron-core raises ValueError",)


def test_nvfp4_recipe_shows_as_an_fp4_row(tmp_path):
    found = rows(check(VERIFY / "bf16_no_fp8.yaml", 'mixed_precision = "bf16_with_nvfp4_mixed"\n', tmp_path))
    assert (found["fp4_format"].legacy, found["fp4_format"].migrated, found["fp4_format"].status) == (None, "e2m1", "differs")


def test_unknown_field_and_positional_arguments_are_type_errors(tmp_path):
    script = f"{HEADER}mixed_precision = MixedPrecisionConfig(True, {BF16}, fp8_interval=1)\n"
    errors = check(VERIFY / "bf16_no_fp8.yaml", script, tmp_path).structural.errors
    assert errors == (
        "TypeError: MixedPrecisionConfig() takes keyword arguments only (1 positional given)",
        "TypeError: MixedPrecisionConfig() got an unexpected keyword argument 'fp8_interval' (Bridge 0.6.2)",
    )


def test_bad_modules_are_bad_input_with_a_location(tmp_path):
    with pytest.raises(InputError) as error:
        check(VERIFY / "bf16_no_fp8.yaml", f"{HEADER}x = 1\n", tmp_path)
    assert str(error.value).endswith("bridge.py: no MixedPrecisionConfig(...) call or mixed-precision recipe name found: nothing to verify")
    with pytest.raises(InputError) as error:
        check(VERIFY / "bf16_no_fp8.yaml", f'{HEADER}mixed_precision = "bf16_mixed"\nother = MixedPrecisionConfig(bf16=dtype)\n', tmp_path)
    assert str(error.value).endswith("bridge.py:4:9: 2 mixed-precision configurations (lines 3, 4): verify reads exactly one")
    with pytest.raises(InputError) as error:
        check(VERIFY / "bf16_no_fp8.yaml", f"{HEADER}mixed_precision = MixedPrecisionConfig(bf16=flag)\n", tmp_path)
    assert str(error.value).endswith("bridge.py:3:19: argument bf16 of MixedPrecisionConfig is not a literal (flag): verify reads literal arguments only")


def test_independent_recipe_table_agrees_with_the_emitter():
    """Two tables written separately from the notes: a disagreement means one of them is wrong."""
    from migrate.target_api import bridge as bridge_snapshot
    from migrate.verify.bridge_recipes import DEFAULTS, RECIPES

    def plain(value):
        name = getattr(value, "name", None)
        if name in ("fp32", "fp16", "bf16"):
            return name
        return {"torch.bfloat16": "bf16", "torch.half": "fp16", "torch.float16": "fp16"}.get(value, value)

    assert [name for name, _ in DEFAULTS] == list(bridge_snapshot.FIELDS)
    assert {n: plain(v) for n, v in DEFAULTS} == {n: plain(v) for n, v in bridge_snapshot.FIELDS.items()}
    for name, fields in bridge_snapshot.RECIPES.items():
        ours = {k: plain(v) for k, v in dict(DEFAULTS, **RECIPES[name]).items()}
        theirs = {k: plain(v) for k, v in bridge_snapshot.effective(fields).items()}
        ours["fp8_param"], ours["fp4_param"] = ours["fp8_param_gather"], ours["fp4_param_gather"]
        assert ours == theirs, name


def test_emitter_and_verify_describe_the_same_bridge_release():
    """One Bridge version, one set of recipe names: a recipe only one side knows is a table out of date."""
    from migrate.target_api import bridge as bridge_snapshot
    from migrate.verify import bridge_recipes

    assert bridge_snapshot.BRIDGE_VERSION == bridge_recipes.BRIDGE_VERSION == "0.6.2"
    assert list(bridge_snapshot.RECIPES) == list(bridge_recipes.RECIPES)
    assert "nemotron_3_ultra_bf16_with_nvfp4_mixed" in bridge_snapshot.RECIPES


def test_nemotron_3_ultra_recipe_keeps_the_last_16_layers_in_bf16(tmp_path):
    """Bridge 0.6.2: bf16_with_nvfp4_mixed plus first_last_layers_bf16 with 0 layers at the start, 16 at the end."""
    from migrate.target_api import bridge as bridge_snapshot

    ultra = bridge_snapshot.effective(bridge_snapshot.RECIPES["nemotron_3_ultra_bf16_with_nvfp4_mixed"])
    assert (ultra["fp4"], ultra["fp4_recipe"], ultra["fp4_param"], ultra["fp8"]) == ("e2m1", "nvfp4", True, None)
    assert (ultra["first_last_layers_bf16"], ultra["num_layers_at_start_in_bf16"], ultra["num_layers_at_end_in_bf16"]) == (True, 0, 16)
    found = rows(check(VERIFY / "bf16_no_fp8.yaml", 'mixed_precision = "nemotron_3_ultra_bf16_with_nvfp4_mixed"\n', tmp_path))
    assert (found["fp4_format"].migrated, found["fp4_format"].status) == ("e2m1", "differs")


def test_cli_target_bridge_exit_statuses(monkeypatch, tmp_path):
    monkeypatch.setattr(numeric, "unavailable_reason", lambda: "no CUDA device")
    ok = run_cli(["verify", "fixtures/verify/delayed_hybrid.yaml", "--target", "bridge"])
    assert ok.code == 0, ok.stderr
    assert "Bridge" in ok.stdout
    out = tmp_path / "verify.json"
    wrong = run_cli(["verify", "fixtures/verify/delayed_hybrid.yaml", "--target", "bridge",
                     "--generated", "fixtures/verify/bridge_tensorwise_default.py", "--json", str(out)])
    assert wrong.code == 1, wrong.stderr
    document = json.loads(out.read_text())
    assert (document["target"], document["verdict"]) == ("bridge", "not equivalent")
    bad = run_cli(["verify", "fixtures/verify/delayed_hybrid.yaml", "--target", "megatron"])
    assert bad.code == 2

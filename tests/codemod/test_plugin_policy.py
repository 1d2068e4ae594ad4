"""Which user arguments of an existing plugin survive the rewrite (policy.py): set what the plan
writes, drop what contradicts the legacy run, keep what the legacy config does not decide."""

from __future__ import annotations

import pytest

from migrate.codemod.rewrite import rewrite_script
from migrate.convert import ConvertOptions, spec_for
from migrate.errors import InputError
from migrate.legacy.reader import LegacyConfig
from migrate.legacy.yamlsource import parse_yaml
from migrate.plan.targets import plan_nemo2

BF16_O1 = "trainer:\n  precision: bf16\nmodel:\n  megatron_amp_O2: False\n"
FP16_O2 = "trainer:\n  precision: 16\nmodel:\n  megatron_amp_O2: True\n"


def _plan(yaml: str, target: str = "2.5"):
    options = ConvertOptions()
    return plan_nemo2(spec_for(LegacyConfig(parse_yaml(yaml, "old.yaml"), (), {}), options), target)


def _plugin(arguments: str, yaml: str = BF16_O1) -> str:
    script = f"import torch\nfrom nemo import lightning as nl\n\nplugin = nl.MegatronMixedPrecision({arguments})\n"
    text = rewrite_script(script, "train.py", _plan(yaml)).text
    return text.split("plugin = ", 1)[1]


def test_equivalent_spellings_are_kept() -> None:
    kept = 'precision="bf16", params_dtype=None, pipeline_dtype=torch.bfloat16, grad_reduce_in_fp32=True'
    assert _plugin(kept) == f"nl.MegatronMixedPrecision({kept})\n"


def test_arguments_the_legacy_config_does_not_decide_are_kept() -> None:
    kept = 'precision="bf16-mixed", autocast_dtype=torch.float16, fp16_min_loss_scale=0.5'
    assert _plugin(kept) == f"nl.MegatronMixedPrecision({kept})\n"


def test_contradicting_values_are_fixed_or_removed() -> None:
    # bf16 O1: fp32 weights (params_dtype default), no FP8; the user's values say otherwise
    assert _plugin('"16-mixed", params_dtype=torch.bfloat16, fp8="hybrid"') == 'nl.MegatronMixedPrecision("bf16-mixed")\n'


def test_inert_arguments_are_left_alone() -> None:
    # FP8 tuning without FP8, and fp16 loss scaling in a bf16 run, change nothing: kept as written
    kept = 'precision="bf16-mixed", fp8_amax_history_len=1024, fp16_initial_loss_scale=128'
    assert _plugin(kept) == f"nl.MegatronMixedPrecision({kept})\n"


def test_default_value_that_contradicts_the_legacy_value_is_replaced() -> None:
    # fp16 O2: legacy weights in fp16, so params_dtype=torch.float32 (the NeMo 2.0 default) is wrong
    assert _plugin('precision="16-mixed", params_dtype=torch.float32, pipeline_dtype=torch.half', FP16_O2) == (
        'nl.MegatronMixedPrecision(precision="16-mixed", params_dtype=torch.float16, pipeline_dtype=torch.half)\n'
    )


def test_run_time_values_are_kept_when_not_decided_and_refused_when_decided() -> None:
    assert _plugin('precision="bf16-mixed", autocast_enabled=flags.autocast') == (
        'nl.MegatronMixedPrecision(precision="bf16-mixed", autocast_enabled=flags.autocast)\n'
    )
    with pytest.raises(InputError) as error:
        _plugin("precision=flags.precision")
    assert str(error.value).startswith("train.py:4:46: precision=flags.precision is computed at run time")


def test_fp4_in_an_existing_nemo_2_7_script_is_removed_because_nemo1_never_trained_in_fp4() -> None:
    script = (
        "import torch\nfrom nemo import lightning as nl\n\n"
        "plugin = nl.MegatronMixedPrecision(precision=\"bf16-mixed\", fp4=\"e2m1\", fp4_recipe=\"nvfp4\")\n"
    )
    text = rewrite_script(script, "train.py", _plan(BF16_O1, "2.7")).text
    # fp4 contradicts the legacy run and goes; fp4_recipe is inert without fp4 and stays as written
    assert text.split("plugin = ", 1)[1] == 'nl.MegatronMixedPrecision(precision="bf16-mixed", fp4_recipe="nvfp4")\n'
    kept = script.replace('fp4="e2m1"', "fp4=None")
    assert rewrite_script(kept, "train.py", _plan(BF16_O1, "2.7")).text == kept

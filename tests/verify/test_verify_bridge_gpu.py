"""`verify --target bridge` numeric check on a real GPU with Transformer Engine (skips elsewhere)."""

from __future__ import annotations

from pathlib import Path

import pytest
from gpu_helpers import require_te_gpu

from migrate.convert import ConvertOptions
from migrate.verify.check import structural_check

pytestmark = pytest.mark.gpu
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
BRIDGE = ConvertOptions(target="bridge")


@pytest.fixture(scope="module")
def gpu():
    return require_te_gpu()


@pytest.mark.parametrize(
    "yaml, spelled",
    [
        ("verify/delayed_hybrid.yaml", "MixedPrecisionConfig("),  # delayed HYBRID, history 1024 / max
        ("verify/bf16_no_fp8.yaml", 'mixed_precision = "bf16_mixed"'),
        ("targets/inputs/bf16_fp8_delayed_te_defaults.yaml", 'mixed_precision = "bf16_with_fp8_delayed_scaling_mixed"'),
    ],
)
def test_generated_bridge_config_is_bitwise_equivalent(gpu, yaml, spelled):
    from migrate.convert import convert_path

    assert spelled in convert_path(str(FIXTURES / yaml), BRIDGE).output
    result = structural_check(str(FIXTURES / yaml), BRIDGE)
    result.numeric = gpu.run_numeric(result.legacy_run, result.migrated_run, 10)
    assert result.structural.equivalent()
    assert result.numeric.comparison.first_divergence is None
    assert len(result.numeric.comparison.steps) == 10
    assert result.equivalent
    if result.legacy_run.recipe is not None:
        scales = result.numeric.runs["legacy"].scales
        assert any(history[-1] != history[0] for history in scales.values())


def test_recipe_left_at_bridge_default_diverges(gpu):
    result = structural_check(str(FIXTURES / "verify/delayed_hybrid.yaml"), BRIDGE,
                              str(FIXTURES / "verify/bridge_tensorwise_default.py"))
    result.numeric = gpu.run_numeric(result.legacy_run, result.migrated_run, 10)
    assert result.migrated_run.recipe.cls == "Float8CurrentScaling"
    assert result.numeric.comparison.first_divergence is not None
    assert not result.equivalent

"""`verify --target automodel` approximate check on a GPU: TE delayed scaling vs torchao float8."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gpu_helpers import stack_missing

from migrate.convert import ConvertOptions
from migrate.verify.check import structural_check
from migrate.verify.command import VerifyRequest, run_verify

pytestmark = pytest.mark.gpu
VERIFY = Path(__file__).resolve().parents[2] / "fixtures" / "verify"
AUTOMODEL = ConvertOptions(target="automodel")


@pytest.fixture(scope="module")
def gpu():
    from migrate.verify import numeric, torchao_numeric

    reason = numeric.unavailable_reason() or torchao_numeric.unavailable_reason()
    if reason is not None:
        stack_missing(f"approximate check needs CUDA, Transformer Engine and torchao: {reason}")
    return torchao_numeric


@pytest.mark.parametrize(
    "yaml, generated, recipe",
    [
        ("delayed_hybrid.yaml", "automodel_delayed_hybrid.yaml", "tensorwise"),
        ("e4m3.yaml", "automodel_e4m3.yaml", "tensorwise"),
        ("e4m3.yaml", "automodel_rowwise.yaml", "rowwise"),
    ],
)
def test_torchao_run_is_within_tolerance_of_the_bf16_reference(gpu, yaml, generated, recipe):
    # `convert --target automodel` output, stored: the GPU machine need not have ruamel.yaml.
    result = structural_check(str(VERIFY / yaml), AUTOMODEL, str(VERIFY / generated))
    assert result.torchao_recipe == recipe
    result.numeric = gpu.run_approximate(result.legacy_run, recipe, 10)
    checks = result.numeric.checks
    assert result.numeric.baseline_agrees, checks["baseline"].relative_error
    assert result.numeric.within_tolerance, (checks["torchao"].relative_error, checks["torchao"].cosine)
    assert result.equivalent and not result.numeric.equal  # within tolerance, never bitwise
    assert len(checks["torchao"].relative_error) == 10


def test_cli_reports_within_tolerance_and_exits_0(gpu, tmp_path, capsys):
    from rich.console import Console

    out = tmp_path / "verify.json"
    request = VerifyRequest(str(VERIFY / "delayed_hybrid.yaml"), AUTOMODEL, str(VERIFY / "automodel_delayed_hybrid.yaml"),
                            steps=10, json_path=str(out))
    assert run_verify(request, Console(width=200)) == 0
    document = json.loads(out.read_text())
    assert (document["verdict"], document["numeric"]["mode"], document["numeric"]["bitwise_equal"]) == ("within tolerance", "approximate", False)
    assert "WITHIN TOLERANCE" in capsys.readouterr().out

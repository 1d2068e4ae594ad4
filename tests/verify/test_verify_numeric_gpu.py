"""Numeric check on a real GPU with Transformer Engine (skips itself elsewhere)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gpu_helpers import require_te_gpu

from migrate.convert import ConvertOptions
from migrate.verify.check import structural_check
from migrate.verify.command import VerifyRequest, run_verify

pytestmark = pytest.mark.gpu
VERIFY = Path(__file__).resolve().parents[2] / "fixtures" / "verify"
TWO_GIB = 2 * 2**30


@pytest.fixture(scope="module")
def gpu():
    return require_te_gpu()


def _verify(numeric, name: str, script: str | None = None, steps: int = 10):
    python = str(VERIFY / script) if script else None
    result = structural_check(str(VERIFY / name), ConvertOptions(), python)
    result.numeric = numeric.run_numeric(result.legacy_run, result.migrated_run, steps)
    return result


@pytest.mark.parametrize(
    "name", ["delayed_hybrid.yaml", "e4m3.yaml", "history_default.yaml", "fp16_fp8.yaml", "bf16_no_fp8.yaml"]
)
def test_generated_migration_is_bitwise_equivalent(gpu, name):
    result = _verify(gpu, name)
    numeric = result.numeric
    assert result.structural.equivalent()
    assert numeric.comparison.first_divergence is None
    assert len(numeric.comparison.steps) == 10
    assert result.equivalent
    assert numeric.peak_memory_bytes < TWO_GIB
    for check in numeric.references:
        assert check.within_thresholds, (check.relative_error, check.cosine)
    if result.legacy_run.recipe is not None:
        legacy_scales = numeric.runs["legacy"].scales
        assert legacy_scales, "FP8 scaling factors were not recorded"
        # Delayed scaling moved the scales away from their initial 1.0.
        assert any(history[-1] != history[0] for history in legacy_scales.values())
    else:
        assert numeric.references == ()


def test_naive_migration_diverges_after_the_first_step(gpu):
    result = _verify(gpu, "history_default.yaml", script="naive_history_default.py")
    assert {row.key for row in result.structural.differences} == {"amax_history_len", "amax_compute_algo"}
    first = result.numeric.comparison.first_divergence
    assert first is not None
    # Step 1 runs with the initial scale 1.0 on both sides; the history decides from then on.
    assert first.step > 1
    assert any(name.startswith("scale.") for name in first.differing)
    assert not result.equivalent


def test_fp16_loss_scaler_settings_are_checked(gpu, tmp_path):
    naive = tmp_path / "fp16_naive.py"
    naive.write_text(
        "import torch\nfrom nemo import lightning as nl\n"
        "plugin = nl.MegatronMixedPrecision(precision='16-mixed', params_dtype=torch.float16, pipeline_dtype=torch.float16,\n"
        "    fp8='hybrid', fp8_amax_history_len=1024, fp8_amax_compute_algo='max')\n"
    )
    result = structural_check(str(VERIFY / "fp16_fp8.yaml"), ConvertOptions(), str(naive))
    assert {row.key for row in result.structural.differences} == {"initial_loss_scale", "loss_scale_window"}
    result.numeric = gpu.run_numeric(result.legacy_run, result.migrated_run, 10)
    first = result.numeric.comparison.first_divergence
    assert first is not None and "loss_scale.value" in first.differing


def test_cli_writes_json_and_plot(gpu, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from rich.console import Console

    out_json, out_png = tmp_path / "v.json", tmp_path / "v.png"
    request = VerifyRequest(
        str(VERIFY / "history_default.yaml"), ConvertOptions(), str(VERIFY / "naive_history_default.py"),
        steps=8, require_gpu=True, json_path=str(out_json), plot_path=str(out_png),
    )
    assert run_verify(request, Console(width=160)) == 1
    document = json.loads(out_json.read_text())
    assert document["numeric"]["ran"] is True
    assert document["numeric"]["first_divergence"]["step"] > 1
    assert document["exit_status"] == 1
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "numerics diverge at step" in capsys.readouterr().out


def test_benchmark_reports_fp8_and_bf16(gpu):
    from migrate.verify.benchmark import BenchShape, run_benchmark

    result = structural_check(str(VERIFY / "delayed_hybrid.yaml"), ConvertOptions())
    bench = run_benchmark(result.migrated_run, BenchShape(iterations=10))
    assert [mode.label for mode in bench.modes] == ["fp8", "bf16"]
    assert all(mode.median_ms > 0 for mode in bench.modes)
    assert bench.speedup is not None
    print(f"benchmark: {[(m.label, round(m.median_ms, 3), round(m.tflops)) for m in bench.modes]} speed-up {bench.speedup:.2f}x")

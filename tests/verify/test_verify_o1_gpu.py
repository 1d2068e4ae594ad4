"""On a GPU with Transformer Engine: O1 run as O1 against the O2 migration (distances, exit 5), each
side's own fp16 loss scaler under overflow, and the data-parallel path with two processes sharing
one GPU over gloo (the amax reduction and the gradient all-reduce through TE)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gpu_helpers import require_te_gpu

from migrate.convert import ConvertOptions
from migrate.verify.check import structural_check
from migrate.verify.command import VerifyRequest, run_verify
from migrate.verify.tolerance import WITH_FP8, WITHOUT_FP8
from migrate.verify.verdict import DIFFERS, EQUAL, WITHIN

pytestmark = pytest.mark.gpu
VERIFY = Path(__file__).resolve().parents[2] / "fixtures" / "verify"


@pytest.fixture(scope="module")
def gpu():
    return require_te_gpu()


def _verify(numeric, name: str, script: str | None = None, steps: int = 10, **kwargs):
    result = structural_check(str(VERIFY / name), ConvertOptions(), str(VERIFY / script) if script else None)
    result.numeric = numeric.run_numeric(result.legacy_run, result.migrated_run, steps, **kwargs)
    return result


def _show(result) -> str:
    distances = result.numeric.ranks[0].distances
    pairs = [distances.judged, *distances.references]
    return "; ".join(f"{pair.label}: " + ", ".join(f"{e:.4f}" for e in pair.relative_error) for pair in pairs)


@pytest.mark.parametrize("name, tolerance", [("o1_bf16.yaml", WITHOUT_FP8), ("o1_fp8.yaml", WITH_FP8)])
def test_o1_runs_as_o1_and_differs_within_tolerance(gpu, name, tolerance):
    result = _verify(gpu, name)
    numeric = result.numeric
    legacy = numeric.runs["legacy"]
    assert (legacy.config.weights, numeric.runs["migrated"].config.weights) == ("O1", "O2")
    rank = numeric.ranks[0]
    assert rank.comparison.first_divergence.step == 1
    assert rank.twin.equal, rank.twin.first_divergence  # O2 legacy settings == migrated, bitwise
    assert rank.distances.tolerance is tolerance
    assert all(0 < e <= tolerance.max_relative_error for e in rank.distances.judged.relative_error), _show(result)
    assert rank.distances.within, _show(result)
    assert result.outcome == WITHIN and result.within_tolerance
    for check in numeric.references:  # FP8 against the same run without FP8
        assert check.within_thresholds, (check.relative_error, check.cosine)
    print(f"{name}: {_show(result)}")


def test_o1_migration_that_drops_the_amax_history_is_not_within_tolerance(gpu, tmp_path):
    naive = tmp_path / "o1_naive.py"
    naive.write_text("from nemo import lightning as nl\nplugin = nl.MegatronMixedPrecision(precision='bf16-mixed', fp8='hybrid')\n")
    result = structural_check(str(VERIFY / "o1_fp8.yaml"), ConvertOptions(), str(naive))
    result.numeric = gpu.run_numeric(result.legacy_run, result.migrated_run, 10)
    twin = result.numeric.ranks[0].twin
    assert twin is not None and not twin.equal
    assert any(name.startswith("scale.") for name in twin.first_divergence.differing)
    assert result.numeric.outcome == DIFFERS


def test_fp16_each_side_runs_its_own_scaler_through_overflow(gpu):
    result = _verify(gpu, "fp16_o1.yaml")
    check = result.numeric.loss_scaling
    legacy, migrated = check.histories["legacy"], check.histories["migrated"]
    spikes = {i for i, spike in enumerate(check.schedule.spikes, start=1) if spike}
    assert spikes <= set(legacy.skipped_steps) and spikes <= set(migrated.skipped_steps)
    assert legacy.backoffs > 10 and migrated.backoffs > 10
    assert min(legacy.after) < 1.0 and min(migrated.after) == 1.0  # no floor vs Megatron-core's 1.0
    assert check.first_scale_difference is not None
    assert check.twin_comparison.equal and check.rule_difference
    assert result.outcome == WITHIN  # O1 vs O2 within tolerance; the scaler rule is reported
    print(f"fp16_o1 legacy scale: {legacy.after}\nmigrated scale: {migrated.after}")


def test_fp16_fp8_o2_generated_migration_stays_equivalent(gpu):
    result = _verify(gpu, "fp16_fp8.yaml")
    assert result.numeric.comparison.equal
    check = result.numeric.loss_scaling
    assert check is not None and check.twin_comparison.equal
    assert check.histories["legacy"].growths > 0  # growth interval 4: the scale grows within the run
    assert result.outcome == EQUAL and result.equivalent


def test_cli_o1_exits_5_with_json_and_plot(gpu, tmp_path, capsys):
    from rich.console import Console

    out_json, out_png = tmp_path / "o1.json", tmp_path / "o1.png"
    request = VerifyRequest(str(VERIFY / "o1_fp8.yaml"), ConvertOptions(), require_gpu=True,
                            json_path=str(out_json), plot_path=str(out_png))
    assert run_verify(request, Console(width=160)) == 5
    document = json.loads(out_json.read_text())
    assert document["verdict"] == "differs within tolerance"
    assert document["numeric"]["ranks"][0]["distances"]["within_tolerance"] is True
    assert "DIFFERS WITHIN TOLERANCE" in capsys.readouterr().out
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# Two processes on one GPU, gloo: every TE code path of --gpus N without a second GPU.


def test_data_parallel_on_one_gpu_catches_a_flipped_gradient_reduction(gpu):
    result = _verify(gpu, "grad_sync_bf16.yaml", "naive_grad_sync_bf16.py", steps=4, gpus=2, backend="gloo")
    numeric = result.numeric
    assert numeric.world_size == 2 and len(numeric.ranks) == 2
    for rank in numeric.ranks:
        first = rank.comparison.first_divergence
        assert first is not None and first.step == 1
        assert any(name.startswith("grad.") for name in first.differing)
    assert numeric.outcome == DIFFERS


def test_data_parallel_on_one_gpu_generated_migration_is_equal_per_rank(gpu):
    result = _verify(gpu, "grad_sync_bf16.yaml", steps=4, gpus=2, backend="gloo")
    assert [rank.comparison.equal for rank in result.numeric.ranks] == [True, True]
    assert result.outcome == EQUAL
    # The ranks saw different data: their FP8 scales are their own unless reduced, here reduced (equal).
    scales0, scales1 = (runs.scales for runs in result.numeric.rank_runs["legacy"])
    assert scales0 == scales1


def test_data_parallel_on_one_gpu_shows_reduce_amax_false(gpu):
    result = _verify(gpu, "reduce_amax_false.yaml", steps=4, gpus=2, backend="gloo")
    numeric = result.numeric
    differing = [rank for rank in numeric.ranks if not rank.comparison.equal]
    assert differing, "reduce_amax False vs True must change some rank's FP8 scales"
    for rank in differing:
        first = rank.comparison.first_divergence
        # Step 1 computes with the initial scale 1.0 on both sides: only the scales it records afterwards
        # (from the reduced or the rank's own amax) can differ there; outputs follow from step 2.
        assert all(name.startswith("scale.") for name in first.differing) if first.step == 1 else first.step > 1
        assert any(name.startswith("scale.") for name in first.differing)
        assert rank.twin.equal  # with reduce_amax True the legacy run is the migrated run
    legacy_scales = [runs.scales for runs in numeric.rank_runs["legacy"]]
    assert legacy_scales[0] != legacy_scales[1]  # without reduction each rank keeps its own amax
    assert numeric.outcome in (WITHIN, DIFFERS) and result.outcome != EQUAL

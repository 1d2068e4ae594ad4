"""The numeric check's logic on a CPU with plain PyTorch layers (no Transformer Engine, no FP8):
O1 against O2 with the twin and the distances, each side's own fp16 loss scaler under the
overflow schedule, the verdict, the JSON document and the plot. Skips without torch."""

from __future__ import annotations

import functools
import json

import pytest
from cli_helpers import run_cli

torch = pytest.importorskip("torch")

from migrate.convert import ConvertOptions  # noqa: E402
from migrate.verify import numeric, tolerance  # noqa: E402
from migrate.verify.check import structural_check  # noqa: E402
from migrate.verify.recipes import MEGATRON_RULE, NEMO1_RULE, RunConfig, ScalerConfig  # noqa: E402
from migrate.verify.training import TORCH_CPU, ModelShape, train  # noqa: E402
from migrate.verify.verdict import DIFFERS, EQUAL, WITHIN  # noqa: E402

VERIFY = "fixtures/verify"
SHAPE = ModelShape(tokens=16, hidden=32, ffn=64)


def cpu_numeric(legacy, migrated, steps=6, **kwargs):
    return numeric.run_numeric(legacy, migrated, steps, SHAPE, TORCH_CPU, **kwargs)


def runs_of(name: str, script: str | None = None):
    result = structural_check(f"{VERIFY}/{name}", ConvertOptions(), f"{VERIFY}/{script}" if script else None)
    return result.legacy_run, result.migrated_run


@pytest.fixture(scope="module")
def o1_result():
    legacy, migrated = runs_of("o1_bf16.yaml")
    return cpu_numeric(legacy, migrated)


def test_equal_settings_train_bitwise_equal():
    config = RunConfig("legacy", "bf16", None, None, "O2", "fp32")
    result = cpu_numeric(config, RunConfig("migrated", "bf16", None, None, "O2", "fp32"), steps=3)
    assert result.outcome == EQUAL and result.comparison.equal and result.ranks[0].twin is None
    assert "twin" not in result.runs and result.loss_scaling is None


def test_o1_legacy_trains_fp32_weights_under_autocast():
    legacy, _ = runs_of("o1_bf16.yaml")
    assert (legacy.weights, legacy.dtype, legacy.params_dtype) == ("O1", "bf16", "fp32")
    run = train(legacy, 2, SHAPE, TORCH_CPU)
    # fp32 master weights updated by fp32 gradients: the loss moves, and no step was skipped.
    assert run.skipped == [False, False] and run.losses[0] != run.losses[1]
    assert all(grad.dtype == torch.float32 for name, grad in run.trace[0].items() if name.startswith("grad."))


def test_o1_against_o2_differs_within_tolerance(o1_result):
    rank = o1_result.ranks[0]
    assert rank.comparison.first_divergence.step == 1  # O1 and O2 are never bitwise equal
    assert rank.twin.equal  # the legacy run with O2 weights is the migrated run, bitwise
    distances = rank.distances
    assert distances.tolerance is tolerance.WITHOUT_FP8
    errors = distances.judged.relative_error
    assert len(errors) == 6 and all(0 < e < tolerance.WITHOUT_FP8.max_relative_error for e in errors)
    assert {pair.of for pair in distances.references} == {"legacy", "migrated"}
    assert all(0 < e < 0.05 for pair in distances.references for e in pair.relative_error)
    assert rank.outcome == WITHIN and o1_result.outcome == WITHIN
    assert len(o1_result.projections) == 1 and "O1" in o1_result.projections[0]


def test_the_tolerance_decides(monkeypatch):
    legacy, migrated = runs_of("o1_bf16.yaml")
    monkeypatch.setattr(tolerance, "WITHOUT_FP8", tolerance.Tolerance("without FP8", 1e-6, 0.9999999))
    assert cpu_numeric(legacy, migrated, steps=2).outcome == DIFFERS


def test_an_o1_migration_that_changes_an_expressible_setting_is_not_within_tolerance():
    legacy, migrated = runs_of("o1_bf16.yaml")
    fp16 = RunConfig("migrated", "fp16", None, None, "O2", "fp32")  # trains fp16 instead of bf16
    result = cpu_numeric(legacy, fp16, steps=2)
    assert result.ranks[0].twin is not None and not result.ranks[0].twin.equal
    assert result.outcome == DIFFERS


def fp16(label, rule, window=1000, floor=None, weights="O2", initial=2.0**32):
    return RunConfig(label, "fp16", None, ScalerConfig("dynamic", initial, window, 2, floor, rule), weights, "fp32")


@pytest.fixture(scope="module")
def fp16_result():
    legacy, migrated = runs_of("fp16_o1.yaml")
    return cpu_numeric(legacy, migrated, steps=3)


def test_fp16_each_side_runs_its_own_scaler_through_overflow(fp16_result):
    check = fp16_result.loss_scaling
    legacy, migrated, twin = (check.histories[label] for label in ("legacy", "migrated", "twin"))
    assert "NeMo 1.0 GradScaler" in legacy.implementation and "Megatron-core DynamicGradScaler" in migrated.implementation
    spikes = {i for i, spike in enumerate(check.schedule.spikes, start=1) if spike}
    # The scale moves within the run, and every spike overflowed (its step skipped) on both sides.
    assert legacy.backoffs > 10 and migrated.backoffs > 10
    assert spikes <= set(legacy.skipped_steps) and spikes <= set(migrated.skipped_steps)
    # A spike after a clean step: NeMo 1.0 re-armed its hysteresis on the clean step and does not back
    # off; Megatron-core spent it on the settle phase's overflows and backs off.
    first, last = next((a, b) for name, a, b in check.schedule.phases if name == "isolated")
    after_clean = [i for i in range(first - 1, last) if check.schedule.spikes[i] and not legacy.skipped[i - 1]]
    assert after_clean
    for i in after_clean:
        assert legacy.after[i] == legacy.used[i] and migrated.after[i] < migrated.used[i]
    assert check.first_scale_difference <= after_clean[0] + 1
    # The burst: NeMo 1.0 has no floor, Megatron-core stops at 1.0.
    assert min(legacy.after) < 1.0 and min(migrated.after) == 1.0
    # The twin (NeMo 1.0's settings, Megatron-core's rule) is the migrated run, bitwise.
    assert check.twin_comparison.equal and twin.after == migrated.after
    assert check.rule_difference and check.outcome == EQUAL


def test_fp16_o1_overall_differs_within_tolerance(fp16_result):
    assert fp16_result.outcome == WITHIN  # O1 vs O2, judged by distance; the scaler rule reported


def test_a_scaler_setting_the_migration_dropped_is_caught_under_overflow():
    legacy = fp16("legacy", NEMO1_RULE, window=4, initial=1024.0)
    migrated = fp16("migrated", MEGATRON_RULE, window=1000, floor=1.0, initial=1024.0)  # growth interval lost
    result = cpu_numeric(legacy, migrated, steps=2)
    check = result.loss_scaling
    assert check.histories["legacy"].growths > 0 and check.histories["migrated"].growths == 0
    assert not check.twin_comparison.equal and check.outcome == DIFFERS and result.outcome == DIFFERS


@pytest.fixture
def cpu_machine(monkeypatch):
    """verify's CLI with the numeric check on this CPU, plain PyTorch layers, a small model."""
    monkeypatch.setattr(numeric, "unavailable_reason", lambda *gpus: None)
    monkeypatch.setattr(numeric, "recipe_unsupported", lambda *configs: None)
    real = numeric.run_numeric
    monkeypatch.setattr(numeric, "run_numeric", functools.partial(lambda *a, **k: real(*a, **k), shape=SHAPE, engine=TORCH_CPU))


def test_cli_o1_exits_5_with_distances_in_json_and_plot(cpu_machine, tmp_path):
    out, png = tmp_path / "o1.json", tmp_path / "o1.png"
    result = run_cli(["verify", f"{VERIFY}/o1_bf16.yaml", "--steps", "4", "--json", str(out), "--plot", str(png)])
    assert result.code == 5, result.stdout + result.stderr
    assert "DIFFERS WITHIN TOLERANCE" in result.stdout
    assert "the legacy run with those settings replaced is bitwise equal to the migrated run at all 4 steps" in result.stdout
    document = json.loads(out.read_text())
    assert (document["verdict"], document["exit_status"]) == ("differs within tolerance", 5)
    numeric_json = document["numeric"]
    assert numeric_json["outcome"] == "within tolerance" and numeric_json["bitwise_equal"] is False
    assert document["runs"]["legacy"]["weights"] == "O1" and document["runs"]["migrated"]["weights"] == "O2"
    rank = numeric_json["ranks"][0]
    assert rank["twin_bitwise_equal"] is True
    distances = rank["distances"]
    assert distances["within_tolerance"] is True and distances["tolerance"]["max_relative_error"] == 0.02
    assert len(distances["judged"]["relative_error"]) == 4
    assert [pair["to"] for pair in distances["references"]] == ["fp32 reference", "fp32 reference"]
    if png.exists():  # matplotlib installed
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # --strict counts the O1 limitation: not equivalent.
    assert run_cli(["verify", f"{VERIFY}/o1_bf16.yaml", "--steps", "2", "--strict"]).code == 1


def test_cli_fp16_reports_scale_histories(cpu_machine, tmp_path):
    out = tmp_path / "fp16.json"
    result = run_cli(["verify", f"{VERIFY}/fp16_o1.yaml", "--steps", "2", "--json", str(out)])
    assert result.code == 5
    assert "fp16 loss scaling under overflow" in result.stdout
    assert "the difference is NeMo 1.0's scaler rule" in result.stdout
    scaling = json.loads(out.read_text())["numeric"]["loss_scaling"]
    assert scaling["rule_difference"] is True and scaling["twin_bitwise_equal"] is True
    legacy, migrated = scaling["histories"]["legacy"], scaling["histories"]["migrated"]
    assert legacy["min_scale"] < 1.0 and migrated["min_scale"] == 1.0
    assert set(scaling["schedule"]["spike_steps"]) <= set(legacy["skipped_steps"])
    assert len(legacy["scale_after"]) == scaling["schedule"]["steps"]


def test_plot_panels_hold_the_bitwise_view_distances_and_scales(o1_result, fp16_result):
    from migrate.verify.numeric_report import plot_panels

    class Result:
        def __init__(self, numeric_result):
            self.numeric = numeric_result

    titles = [panel.title for panel in plot_panels(Result(o1_result))]
    assert titles[0] == "legacy vs migrated: first divergence at step 1"
    distances = plot_panels(Result(o1_result))[1]
    assert distances.title.startswith("output distance per step")
    assert [series.label for series in distances.series] == ["migrated vs legacy", "legacy vs fp32 reference", "migrated vs fp32 reference"]
    assert distances.hlines == [(0.02, "tolerance without FP8")]
    assert distances.series[0].y == list(o1_result.ranks[0].distances.judged.relative_error)
    bitwise = plot_panels(Result(o1_result))[0]
    assert "output, twin vs migrated" in [series.label for series in bitwise.series]
    scaling = plot_panels(Result(fp16_result))[-1]
    assert scaling.title.startswith("fp16 loss scale under the overflow schedule")
    labels = [series.label for series in scaling.series]
    assert labels == ["legacy scale", "legacy skipped", "migrated scale", "migrated skipped", "twin scale"]
    assert scaling.series[0].y == list(fp16_result.loss_scaling.histories["legacy"].after)

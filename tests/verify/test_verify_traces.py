"""Trace comparison, the reference thresholds and the loss scaler: the numeric check's CPU parts."""

from __future__ import annotations

import math

from migrate.verify.loss_scaler import LossScaler
from migrate.verify.recipes import ScalerConfig
from migrate.verify.traces import (
    MAX_RELATIVE_ERROR,
    MIN_COSINE,
    ReferenceCheck,
    compare_traces,
)


def trace(*steps):
    return [dict(step) for step in steps]


def test_identical_traces_are_equal_at_every_step():
    a = trace({"output": [1.0, 2.0], "loss": 0.5, "scale.mlp.fwd": [448.0]}, {"output": [1.5, 2.5], "loss": 0.25, "scale.mlp.fwd": [224.0]})
    result = compare_traces(a, [dict(step) for step in a])
    assert result.equal and result.first_divergence is None
    assert [step.max_abs for step in result.steps] == [{"output": 0.0, "loss": 0.0, "scale": 0.0}] * 2


def test_first_divergence_names_the_step_and_quantities():
    a = trace({"output": [1.0], "scale.mlp.fwd": [1.0]}, {"output": [1.0], "scale.mlp.fwd": [224.0]}, {"output": [2.0], "scale.mlp.fwd": [56.0]})
    b = trace({"output": [1.0], "scale.mlp.fwd": [1.0]}, {"output": [1.0], "scale.mlp.fwd": [224.0]}, {"output": [2.5], "scale.mlp.fwd": [112.0]})
    result = compare_traces(a, b)
    first = result.first_divergence
    assert (first.step, first.differing) == (3, ("output", "scale.mlp.fwd"))
    assert first.max_abs == {"output": 0.5, "scale": 56.0}
    assert result.first_divergence_by_group() == {"output": 3, "scale": 3}


def test_a_quantity_missing_on_one_side_is_a_difference():
    result = compare_traces(trace({"loss": 1.0, "scale.proj.fwd": [1.0]}), trace({"loss": 1.0}))
    assert result.first_divergence.differing == ("scale.proj.fwd",)
    assert result.steps[0].max_abs["scale"] == math.inf


def test_nan_equals_nan_but_not_a_number_and_lengths_must_match():
    assert compare_traces(trace({"loss": math.nan}), trace({"loss": math.nan})).equal
    assert not compare_traces(trace({"loss": math.nan}), trace({"loss": 1.0})).equal
    shorter = compare_traces(trace({"loss": 1.0}, {"loss": 1.0}), trace({"loss": 1.0}))
    assert shorter.first_divergence.step == 2 and shorter.first_divergence.differing == ("trace length",)


def test_signed_zeros_compare_equal_like_torch_equal():
    # -0.0 == 0.0 numerically; the engine's torch comparison has the same rule (torch.equal).
    assert compare_traces(trace({"loss": -0.0}), trace({"loss": 0.0})).equal


def test_reference_thresholds():
    good = ReferenceCheck("migrated", (0.05, MAX_RELATIVE_ERROR), (0.999, MIN_COSINE))
    assert good.within_thresholds and good.worst_relative_error == MAX_RELATIVE_ERROR
    assert not ReferenceCheck("migrated", (0.05, math.nan), (0.999, 0.999)).within_thresholds
    assert not ReferenceCheck("migrated", (0.05,), (MIN_COSINE - 0.01,)).within_thresholds


def run_scaler(config: ScalerConfig, infs: list[bool]) -> list[float]:
    scaler = LossScaler(config)
    scales = []
    for found_inf in infs:
        scaler.update(found_inf)
        scales.append(scaler.scale)
    return scales


def test_dynamic_scaler_grows_after_the_window_and_backs_off_after_hysteresis():
    config = ScalerConfig("dynamic", 1024.0, growth_interval=2, hysteresis=2)
    assert run_scaler(config, [False, False, True, True, True, False]) == [1024.0, 2048.0, 2048.0, 1024.0, 512.0, 512.0]


def test_floor_and_constant_scaler():
    floored = ScalerConfig("dynamic", 2.0, growth_interval=100, hysteresis=1, min_scale=1.0)
    assert run_scaler(floored, [True, True, True]) == [1.0, 1.0, 1.0]
    unfloored = ScalerConfig("dynamic", 2.0, growth_interval=100, hysteresis=1, min_scale=None)
    assert run_scaler(unfloored, [True, True, True]) == [1.0, 0.5, 0.25]
    assert run_scaler(ScalerConfig("constant", 128.0), [True, False]) == [128.0, 128.0]

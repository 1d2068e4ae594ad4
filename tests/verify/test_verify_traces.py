"""Trace comparison and the reference thresholds: the numeric check's CPU parts."""

from __future__ import annotations

import math

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

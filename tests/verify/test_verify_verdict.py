"""Exit statuses, the expressible twin and the tolerance decisions: pure Python, no torch."""

from __future__ import annotations

import math

import pytest

from migrate.verify.recipes import MEGATRON_RULE, NEMO1_RULE, RecipeConfig, RunConfig, ScalerConfig
from migrate.verify.tolerance import WITH_FP8, WITHOUT_FP8, DistanceCheck, PairDistance, tolerance_for
from migrate.verify.twin import expressible_twin
from migrate.verify.verdict import (
    BAD_INPUT,
    CHECK_FAILED,
    DIFFERS,
    EQUAL,
    EQUIVALENT,
    NO_GPU,
    NOT_EQUIVALENT,
    WITHIN,
    WITHIN_TOLERANCE,
    comparison_outcome,
    exit_status,
    worst,
)


def test_statuses_are_distinct():
    assert len({EQUIVALENT, NOT_EQUIVALENT, BAD_INPUT, NO_GPU, CHECK_FAILED, WITHIN_TOLERANCE}) == 6
    assert (EQUIVALENT, NOT_EQUIVALENT, BAD_INPUT, NO_GPU, CHECK_FAILED, WITHIN_TOLERANCE) == (0, 1, 2, 3, 4, 5)


@pytest.mark.parametrize("outcome", [EQUAL, WITHIN, DIFFERS])
def test_a_failed_check_is_never_a_pass(outcome):
    assert exit_status(outcome, failed=True) == CHECK_FAILED
    assert exit_status(outcome, failed=True, machine_missing=True, require_gpu=True) == CHECK_FAILED


def test_exit_status_of_each_verdict():
    assert exit_status(EQUAL) == EQUIVALENT
    assert exit_status(WITHIN) == WITHIN_TOLERANCE
    assert exit_status(DIFFERS) == NOT_EQUIVALENT
    assert exit_status(EQUAL, machine_missing=True) == EQUIVALENT  # structural only, as documented
    assert exit_status(DIFFERS, machine_missing=True, require_gpu=True) == NO_GPU


def test_comparison_outcome():
    assert comparison_outcome(True, None, None) == EQUAL
    assert comparison_outcome(False, None, None) == DIFFERS  # nothing inexpressible explains it
    assert comparison_outcome(False, True, True) == WITHIN
    assert comparison_outcome(False, True, False) == DIFFERS  # outside the tolerance
    assert comparison_outcome(False, False, True) == DIFFERS  # the migration changed something it could keep
    assert worst(EQUAL, WITHIN) == WITHIN and worst(WITHIN, DIFFERS, EQUAL) == DIFFERS and worst() == EQUAL


DELAYED = RecipeConfig("DelayedScaling", (("fp8_format", "HYBRID"), ("amax_history_len", 1024), ("reduce_amax", True)))


def run(label="legacy", dtype="bf16", weights="O2", recipe=None, scaler=None, reduce="fp32"):
    return RunConfig(label, dtype, recipe, scaler, weights, reduce)


def test_no_twin_when_everything_is_expressible():
    assert expressible_twin(run(), run("migrated")) == (None, ())


def test_twin_of_o1_trains_o2_and_keeps_the_rest():
    legacy = run(weights="O1", recipe=DELAYED)
    twin, changes = expressible_twin(legacy, run("migrated", recipe=DELAYED))
    assert twin.weights == "O2" and twin.recipe == DELAYED and twin.dtype == "bf16"
    assert len(changes) == 1 and "O1" in changes[0]
    # A migrated side that trains fp32 did not migrate O1: nothing to project, the difference stands.
    assert expressible_twin(legacy, run("migrated", dtype="fp32", weights="fp32"))[0] is None


def test_twin_of_nemo1_scaler_takes_megatrons_rule_and_the_migrated_floor():
    legacy = run(dtype="fp16", scaler=ScalerConfig("dynamic", 2.0**32, 1000, 2, None, NEMO1_RULE))
    migrated = run("migrated", dtype="fp16", scaler=ScalerConfig("dynamic", 2.0**32, 1000, 2, 4.0, MEGATRON_RULE))
    twin, changes = expressible_twin(legacy, migrated)
    assert twin.scaler == ScalerConfig("dynamic", 2.0**32, 1000, 2, 4.0, MEGATRON_RULE)
    assert "floor 4" in changes[0]
    twin, _ = expressible_twin(legacy, run("migrated", dtype="fp16"))  # no dynamic scaler there
    assert twin.scaler.min_scale == 1.0


def test_twin_of_reduce_amax_false_reduces():
    legacy = run(recipe=RecipeConfig("DelayedScaling", (("fp8_format", "HYBRID"), ("reduce_amax", False))))
    twin, changes = expressible_twin(legacy, run("migrated", recipe=DELAYED))
    assert dict(twin.recipe.kwargs)["reduce_amax"] is True and "reduce_amax" in changes[0]


def pair(errors, cosines):
    return PairDistance("migrated", "legacy", tuple(errors), tuple(cosines))


def test_tolerances_are_documented_values():
    assert (WITHOUT_FP8.max_relative_error, WITHOUT_FP8.min_cosine) == (0.02, 0.9998)
    assert (WITH_FP8.max_relative_error, WITH_FP8.min_cosine) == (0.10, 0.995)
    assert tolerance_for(True) is WITH_FP8 and tolerance_for(False) is WITHOUT_FP8
    for tolerance in (WITHOUT_FP8, WITH_FP8):  # the cosine bound a relative error at the bound implies
        assert tolerance.min_cosine == pytest.approx(1 - tolerance.max_relative_error**2 / 2, abs=1e-9)


def test_tolerance_decision_per_step():
    assert DistanceCheck(pair([0.005, 0.0077], [0.99998, 0.99997]), WITHOUT_FP8).within
    assert not DistanceCheck(pair([0.005, 0.03], [0.99998, 0.9995]), WITHOUT_FP8).within
    assert DistanceCheck(pair([0.005, 0.03], [0.99998, 0.9995]), WITH_FP8).within
    assert not DistanceCheck(pair([0.005], [0.9990]), WITHOUT_FP8).within  # cosine alone fails it
    # A step where both runs were non-finite (both skipped it) is not comparable; one-sided inf fails.
    assert DistanceCheck(pair([None, 0.001], [None, 0.99999]), WITHOUT_FP8).within
    assert not DistanceCheck(pair([math.inf], [math.nan]), WITH_FP8).within
    assert pair([0.01, math.inf], [0.9, math.nan]).failing_steps(WITH_FP8) == (1, 2)


def test_distances_to_the_fp32_reference_are_reported_not_judged():
    judged = pair([0.001], [0.99999])
    far = PairDistance("migrated", "fp32 reference", (0.5,), (0.9,))  # e.g. fp16 skipped steps the reference took
    assert DistanceCheck(judged, WITHOUT_FP8, (far,)).within
    document = DistanceCheck(judged, WITHOUT_FP8, (far,)).to_json()
    assert document["tolerance"] == {"name": "without FP8", "max_relative_error": 0.02, "min_cosine": 0.9998}
    assert document["within_tolerance"] is True and document["references"][0]["relative_error"] == [0.5]

"""`verify --gpus N`'s multi-process plumbing on the CPU: two processes over gloo, plain PyTorch
layers (no TE, so no FP8 amax reduction here: that part runs in the gpu / gpu2 tests). Spawning,
the per-rank data, the gradient all-reduce in each side's dtype, saving and comparing per rank."""

from __future__ import annotations

import functools
import json

import pytest
from cli_helpers import run_cli

torch = pytest.importorskip("torch")

from migrate.verify import numeric  # noqa: E402
from migrate.verify.distributed import PROCESS_ENV, DistributedFailure, DistributedPlan, run_distributed  # noqa: E402
from migrate.verify.numeric import judge_rank  # noqa: E402
from migrate.verify.recipes import RunConfig  # noqa: E402
from migrate.verify.training import TORCH_CPU, ModelShape  # noqa: E402
from migrate.verify.verdict import DIFFERS, EQUAL, WITHIN  # noqa: E402

SHAPE = ModelShape(tokens=16, hidden=32, ffn=64)
STEPS = 3


def config(label, weights="O2", reduce="fp32", dtype="bf16"):
    return RunConfig(label, dtype, None, None, weights, reduce)


@pytest.fixture(scope="module")
def two_ranks():
    """One spawn of two gloo ranks training five runs."""
    runs = (
        ("legacy", config("legacy", weights="O1")),
        ("migrated", config("migrated")),
        ("twin", config("twin")),
        ("fp32", config("fp32 reference", weights="fp32", dtype="fp32")),
        ("bf16 reduce", config("bf16 reduce", reduce="bf16")),
    )
    return run_distributed(DistributedPlan(runs, 2, STEPS, SHAPE, TORCH_CPU, "gloo"))


def test_every_rank_trains_its_own_data_and_keeps_the_replicas_in_sync(two_ranks):
    rank0, rank1 = two_ranks["migrated"]
    assert (rank0.rank, rank1.rank) == (0, 1)
    # Different data (rank 1's scaled by 4): different outputs and losses...
    assert not torch.equal(rank0.trace[0]["output"], rank1.trace[0]["output"])
    assert rank1.losses[0] > 4 * rank0.losses[0]
    # ...but the all-reduced gradients are the same on both ranks, so the weights stay replicas.
    grads = [name for name in rank0.trace[0] if name.startswith("grad.")]
    assert grads and all(torch.equal(rank0.trace[1][name], rank1.trace[1][name]) for name in grads)


def test_a_reduction_in_bf16_instead_of_fp32_is_caught_on_every_rank(two_ranks):
    for rank in range(2):
        runs = {"legacy": two_ranks["migrated"][rank], "migrated": two_ranks["bf16 reduce"][rank]}
        result = judge_rank(rank, runs, fp8=False)
        first = result.comparison.first_divergence
        assert first is not None and first.step == 1
        assert all(name.startswith("grad.") for name in first.differing)  # the forward was still equal
        assert result.outcome == DIFFERS


def test_the_same_settings_on_two_ranks_are_bitwise_equal(two_ranks):
    for rank in range(2):
        runs = {"legacy": two_ranks["migrated"][rank], "migrated": two_ranks["twin"][rank]}
        assert judge_rank(rank, runs, fp8=False).outcome == EQUAL


def test_o1_on_two_ranks_differs_within_tolerance_per_rank(two_ranks):
    for rank in range(2):
        runs = {label: two_ranks[label][rank] for label in ("legacy", "migrated", "twin", "fp32")}
        result = judge_rank(rank, runs, fp8=False)
        assert result.twin.equal and result.distances.within and result.outcome == WITHIN


def test_spawned_processes_keep_nvlink_multicast_off():
    assert PROCESS_ENV == {"NCCL_NVLS_ENABLE": "0"}


def test_a_rank_that_fails_is_reported_with_its_rank(monkeypatch):
    bad = (("legacy", RunConfig("legacy", "bf16", None, None, "O2", "int8")),)  # no such reduction dtype
    with pytest.raises(DistributedFailure, match=r"rank \d of 2 \(gloo\) failed: KeyError: 'int8'"):
        run_distributed(DistributedPlan(bad, 2, 1, SHAPE, TORCH_CPU, "gloo", timeout_s=60))


def test_cli_gpus_2_compares_per_rank(monkeypatch, tmp_path):
    monkeypatch.setattr(numeric, "unavailable_reason", lambda *gpus: None)
    monkeypatch.setattr(numeric, "recipe_unsupported", lambda *configs: None)
    real = numeric.run_numeric
    monkeypatch.setattr(numeric, "run_numeric", functools.partial(lambda *a, **k: real(*a, **k), shape=SHAPE, engine=TORCH_CPU))
    out = tmp_path / "two.json"
    result = run_cli(["verify", "fixtures/verify/bf16_no_fp8.yaml", "--gpus", "2", "--steps", "2", "--json", str(out)])
    assert result.code == 0, result.stdout + result.stderr
    assert "Data-parallel numeric check: 2 ranks (gloo)" in result.stdout
    document = json.loads(out.read_text())["numeric"]
    assert (document["gpus"], document["backend"]) == (2, "gloo")
    assert [rank["rank"] for rank in document["ranks"]] == [0, 1]
    assert all(rank["bitwise_equal"] for rank in document["ranks"])

"""`verify --gpus 2` on two GPUs over NCCL (marker gpu2): skips itself with fewer than two CUDA
devices, also under NEMO_MIGRATE_REQUIRE_GPU=1, since the two-GPU machine is not always available."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from gpu_helpers import require_two_gpus

from migrate.convert import ConvertOptions
from migrate.verify.check import structural_check
from migrate.verify.command import VerifyRequest, run_verify
from migrate.verify.verdict import DIFFERS, EQUAL, WITHIN

pytestmark = pytest.mark.gpu2
VERIFY = Path(__file__).resolve().parents[2] / "fixtures" / "verify"


@pytest.fixture(scope="module")
def gpus():
    return require_two_gpus()


def _verify(numeric, name: str, script: str | None = None, steps: int = 10, path: Path | None = None):
    result = structural_check(str(path or VERIFY / name), ConvertOptions(), str(VERIFY / script) if script else None)
    started = time.perf_counter()
    result.numeric = numeric.run_numeric(result.legacy_run, result.migrated_run, steps, gpus=2)
    peaks = ", ".join(f"{peak / 2**20:.0f}" for peak in result.numeric.peak_memory_per_rank)
    print(f"{name}: {result.outcome}, {time.perf_counter() - started:.1f} s, peak MiB per GPU: {peaks}")
    return result


@pytest.mark.parametrize("name", ["delayed_hybrid.yaml", "e4m3.yaml", "history_default.yaml", "fp16_fp8.yaml", "grad_sync_bf16.yaml"])
def test_generated_fp8_migration_is_bitwise_equal_on_every_rank(gpus, name):
    result = _verify(gpus, name)
    numeric = result.numeric
    assert (numeric.world_size, numeric.backend) == (2, "nccl")
    assert [rank.comparison.equal for rank in numeric.ranks] == [True, True]
    assert result.outcome == EQUAL
    assert all(peak > 0 for peak in numeric.peak_memory_per_rank)


def test_flipped_gradient_reduction_is_caught_on_both_ranks(gpus):
    result = _verify(gpus, "grad_sync_bf16.yaml", "naive_grad_sync_bf16.py")
    for rank in result.numeric.ranks:
        first = rank.comparison.first_divergence
        assert first is not None and first.step == 1
        assert any(name.startswith("grad.") for name in first.differing)
    assert result.outcome == DIFFERS


def test_reduce_amax_false_is_caught_numerically(gpus):
    result = _verify(gpus, "reduce_amax_false.yaml")
    numeric = result.numeric
    differing = [rank for rank in numeric.ranks if not rank.comparison.equal]
    assert differing
    for rank in differing:
        assert any(name.startswith("scale.") for name in rank.comparison.first_divergence.differing)
        assert rank.twin.equal
    assert result.outcome in (WITHIN, DIFFERS)


def test_cli_gpus_2_writes_per_rank_json(gpus, tmp_path):
    from rich.console import Console

    out = tmp_path / "two.json"
    request = VerifyRequest(str(VERIFY / "delayed_hybrid.yaml"), ConvertOptions(), steps=6, require_gpu=True, json_path=str(out), gpus=2)
    assert run_verify(request, Console(width=160)) == 0
    document = json.loads(out.read_text())["numeric"]
    assert (document["gpus"], document["backend"]) == (2, "nccl")
    assert [rank["bitwise_equal"] for rank in document["ranks"]] == [True, True]
    assert len(document["peak_memory_bytes_per_rank"]) == 2


def test_corpus_fp8_configs_stay_equivalent_on_two_gpus(gpus, corpus_dev):
    checked = 0
    for path in sorted(corpus_dev.glob("*.yaml")):
        try:
            result = structural_check(str(path), ConvertOptions())
        except Exception:  # noqa: BLE001 - not every corpus file is a verifiable training config
            continue
        if result.legacy_run.recipe is None:
            continue
        result.numeric = gpus.run_numeric(result.legacy_run, result.migrated_run, 10, gpus=2)
        assert result.outcome == EQUAL, (path.name, [rank.comparison.first_divergence for rank in result.numeric.ranks])
        checked += 1
    assert checked >= 1
    print(f"{checked} corpus FP8 configs bitwise equal on 2 GPUs")

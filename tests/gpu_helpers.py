"""How GPU tests react to a machine without a working CUDA / Transformer Engine stack.

By default they skip with the reason. With NEMO_MIGRATE_REQUIRE_GPU=1 (set it on the GPU machine) a
missing or broken stack FAILS them instead, so that a broken install never reads as "skipped".
Tests that need two GPUs (marker gpu2) still skip when the machine has fewer: a one-GPU machine is
a normal place to run the suite, and the two-GPU machine is not always available.
"""

from __future__ import annotations

import os

import pytest

REQUIRE_GPU_ENV = "NEMO_MIGRATE_REQUIRE_GPU"


def gpu_required() -> bool:
    return os.environ.get(REQUIRE_GPU_ENV, "").strip().lower() in ("1", "true", "yes")


def stack_missing(reason: str) -> None:
    """Skip (or, under NEMO_MIGRATE_REQUIRE_GPU=1, fail) the calling test for `reason`."""
    if gpu_required():
        pytest.fail(f"{REQUIRE_GPU_ENV}=1, but the GPU stack is missing or broken: {reason}", pytrace=False)
    pytest.skip(reason)


def require_te_gpu(what: str = "numeric check needs a CUDA device with Transformer Engine"):
    """The numeric module when CUDA + TE work here; otherwise skip / fail (see stack_missing)."""
    from migrate.verify import numeric

    reason = numeric.unavailable_reason()
    if reason is not None:
        stack_missing(f"{what}: {reason}")
    return numeric


def _cuda_devices() -> int:
    try:
        import torch
    except ImportError:
        return 0
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def require_two_gpus():
    """Skip (never fail) with fewer than two CUDA devices; with two or more, like require_te_gpu."""
    count = _cuda_devices()
    if count < 2:
        pytest.skip(
            f"needs 2 CUDA devices, this machine has {count} (skipped even under {REQUIRE_GPU_ENV}=1: "
            "the two-GPU machine is not always available; run these tests there with -m gpu2)"
        )
    return require_te_gpu("the 2-GPU check needs CUDA devices with Transformer Engine")

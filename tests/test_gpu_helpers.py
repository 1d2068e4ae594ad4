"""NEMO_MIGRATE_REQUIRE_GPU turns a missing GPU stack from a skip into a failure (not for gpu2)."""

from __future__ import annotations

import pytest
import gpu_helpers
from gpu_helpers import REQUIRE_GPU_ENV, require_two_gpus, stack_missing

from migrate.verify import numeric


def test_missing_stack_skips_by_default(monkeypatch):
    monkeypatch.delenv(REQUIRE_GPU_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no CUDA device"):
        stack_missing("no CUDA device")


@pytest.mark.parametrize("value", ["1", "true"])
def test_missing_stack_fails_when_the_gpu_is_required(monkeypatch, value):
    monkeypatch.setenv(REQUIRE_GPU_ENV, value)
    with pytest.raises(pytest.fail.Exception, match="NEMO_MIGRATE_REQUIRE_GPU=1, but the GPU stack is missing or broken: TE"):
        stack_missing("TE import failed")


def test_two_gpu_tests_skip_with_fewer_gpus_even_when_the_gpu_is_required(monkeypatch):
    monkeypatch.setenv(REQUIRE_GPU_ENV, "1")
    monkeypatch.setattr(gpu_helpers, "_cuda_devices", lambda: 1)
    with pytest.raises(pytest.skip.Exception, match="needs 2 CUDA devices, this machine has 1 .*not always available"):
        require_two_gpus()


def test_two_gpu_tests_fail_on_a_broken_stack_with_two_gpus_when_required(monkeypatch):
    monkeypatch.setenv(REQUIRE_GPU_ENV, "1")
    monkeypatch.setattr(gpu_helpers, "_cuda_devices", lambda: 2)
    monkeypatch.setattr(numeric, "unavailable_reason", lambda: "Transformer Engine is not importable")
    with pytest.raises(pytest.fail.Exception, match="Transformer Engine is not importable"):
        require_two_gpus()

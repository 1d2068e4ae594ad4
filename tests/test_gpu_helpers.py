"""NEMO_MIGRATE_REQUIRE_GPU turns a missing GPU stack from a skip into a failure (not for gpu2)."""

from __future__ import annotations

import pytest
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
    torch = pytest.importorskip("torch")
    monkeypatch.setenv(REQUIRE_GPU_ENV, "1")
    monkeypatch.setattr(numeric, "unavailable_reason", lambda: None)  # a working one-GPU stack
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(pytest.skip.Exception, match="needs 2 CUDA devices, this machine has 1 .*not always available"):
        require_two_gpus()

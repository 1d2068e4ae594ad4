"""`verify --benchmark`: forward+backward time and memory of the layer at a realistic size, FP8 vs bf16.

The layer is the numeric check's model (`te.LayerNormMLP` + `te.Linear`) at hidden 4096, FFN 16384
and 8192 tokens, run under the migrated side's recipe and again without FP8. Timed with CUDA
events after warm-up; the median of the timed iterations is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from migrate.verify.recipes import RunConfig, te_recipe


@dataclass(frozen=True)
class BenchShape:
    tokens: int = 8192
    hidden: int = 4096
    ffn: int = 16384
    warmup: int = 5
    iterations: int = 20

    @property
    def flops(self) -> float:
        """Matrix FLOPs of one forward+backward (3x the forward's 2*m*n*k per GEMM)."""
        forward = 2 * self.tokens * self.hidden * (2 * self.ffn + self.hidden)
        return 3.0 * forward


@dataclass(frozen=True)
class BenchMode:
    label: str  # "fp8" | "bf16" | "fp16"
    recipe: str | None
    median_ms: float
    tflops: float
    peak_memory_bytes: int


@dataclass(frozen=True)
class BenchResult:
    shape: BenchShape
    modes: tuple[BenchMode, ...]
    device: str
    torch_compile: bool  # TE's fused ops compiled (NVTE_TORCH_COMPILE), as in real training

    @property
    def speedup(self) -> float | None:
        by = {mode.label: mode for mode in self.modes}
        high = by.get("bf16") or by.get("fp16")
        if "fp8" not in by or high is None:
            return None
        return high.median_ms / by["fp8"].median_ms


def _measure(label: str, dtype_name: str, recipe_config, shape: BenchShape) -> BenchMode:
    import torch
    import transformer_engine.pytorch as te

    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[dtype_name]
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    model = torch.nn.Sequential(
        te.LayerNormMLP(shape.hidden, shape.ffn, params_dtype=dtype, device="cuda"),
        te.Linear(shape.hidden, shape.hidden, params_dtype=dtype, device="cuda"),
    )
    x = torch.randn(shape.tokens, shape.hidden, device="cuda", dtype=dtype, requires_grad=True)
    recipe = te_recipe(recipe_config) if recipe_config is not None else None

    def step() -> None:
        if recipe is not None:
            with te.autocast(enabled=True, recipe=recipe):
                out = model(x)
        else:
            out = model(x)
        out.float().square().mean().backward()

    for _ in range(shape.warmup):
        step()
    torch.cuda.synchronize()
    times = []
    for _ in range(shape.iterations):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        step()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    times.sort()
    median = times[len(times) // 2]
    peak = int(torch.cuda.max_memory_allocated())
    return BenchMode(label, None if recipe_config is None else recipe_config.describe(), median, shape.flops / (median * 1e-3) / 1e12, peak)


def run_benchmark(migrated: RunConfig, shape: BenchShape = BenchShape()) -> BenchResult:
    import os

    import torch

    high = "fp16" if migrated.dtype == "fp16" else "bf16"
    modes = []
    if migrated.recipe is not None:
        modes.append(_measure("fp8", high, migrated.recipe, shape))
    modes.append(_measure(high, high, None, shape))
    compiled = os.environ.get("NVTE_TORCH_COMPILE", "1") == "1"
    return BenchResult(shape, tuple(modes), torch.cuda.get_device_name(), compiled)

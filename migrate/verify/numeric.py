"""Numeric check: train a small Transformer Engine model under each side's recipe and compare.

The model is `te.LayerNormMLP` followed by `te.Linear` (dims multiples of 16, as FP8 GEMMs need),
with weights in the side's training dtype (as NeMo's Float16Module holds them) and fp32 master
weights updated by SGD. Initial weights and the per-step data come from fixed seeds on the CPU, so
two sides with the same settings start bitwise identical. Inputs are rescaled from step to step so
the amax changes and the delayed-scaling history matters. torch and Transformer Engine are
imported here only, inside the functions.
"""

from __future__ import annotations

import math
import os
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from migrate.verify.loss_scaler import LossScaler
from migrate.verify.recipes import RunConfig, reference_config, te_recipe
from migrate.verify.traces import ReferenceCheck, TraceComparison, compare_traces

DEFAULT_STEPS = 10
INSTALL_HINT = "pip install 'nemo-migrate[verify]'"


@dataclass(frozen=True)
class ModelShape:
    tokens: int = 128
    hidden: int = 256
    ffn: int = 1024
    seed: int = 1234
    lr: float = 1e-3


@dataclass
class SideRun:
    config: RunConfig
    trace: list[dict[str, Any]]
    losses: list[float]
    scales: dict[str, list[list[float]]]  # "scale.mlp.fwd" -> per step list of the scale tensor
    loss_scales: list[float]


@dataclass
class NumericResult:
    steps: int
    shape: ModelShape
    comparison: TraceComparison
    runs: dict[str, SideRun]  # "legacy", "migrated", "reference"
    references: tuple[ReferenceCheck, ...]
    wall_s: float
    peak_memory_bytes: int
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def equal(self) -> bool:
        return self.comparison.equal


def _quiet_te_environment() -> None:
    """Before TE's first import: eager fused ops instead of torch.compile (seconds of compile per
    run, same ops on both sides); a caller's explicit NVTE_TORCH_COMPILE wins."""
    os.environ.setdefault("NVTE_TORCH_COMPILE", "0")


def unavailable_reason() -> str | None:
    """None when the numeric check can run here, else why not (no torch, no CUDA, no TE, no FP8)."""
    _quiet_te_environment()
    try:
        import torch
    except ImportError:
        return f"PyTorch is not installed ({INSTALL_HINT})"
    if not torch.cuda.is_available():
        return "no CUDA device"
    try:
        import transformer_engine.pytorch as te
    except Exception as error:  # noqa: BLE001 - TE raises various errors when its libraries do not load
        return f"Transformer Engine is not importable ({type(error).__name__}: {error}; {INSTALL_HINT})"
    ok, reason = te.is_fp8_available(return_reason=True)
    if not ok:
        return f"this GPU cannot run FP8 with Transformer Engine: {reason}"
    return None


def recipe_unsupported(*configs: RunConfig) -> str | None:
    """Why this GPU cannot run one of the recipes (MXFP8 needs Blackwell, ...), or None."""
    import transformer_engine.pytorch as te

    checks = {"MXFP8BlockScaling": te.is_mxfp8_available, "Float8BlockScaling": te.is_fp8_block_scaling_available}
    for config in configs:
        check = checks.get(config.recipe.cls) if config.recipe is not None else None
        if check is not None:
            ok, reason = check(return_reason=True)
            if not ok:
                return f"{config.recipe.cls} cannot run on this GPU: {reason}"
    return None


def _dtype(torch, name: str):
    return {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[name]


def _initial_weights(torch, model, seed: int) -> dict[str, Any]:
    generator = torch.Generator().manual_seed(seed)
    master = {}
    for name, param in model.named_parameters():
        if "layer_norm_weight" in name:
            value = torch.ones(param.shape)
        elif param.dim() == 1:
            value = torch.randn(param.shape, generator=generator) * 0.02
        else:
            value = torch.randn(param.shape, generator=generator) / math.sqrt(param.shape[-1])
        master[name] = value.to("cuda", torch.float32)
    return master


def _data(torch, shape: ModelShape, steps: int) -> list[tuple[Any, Any]]:
    generator = torch.Generator().manual_seed(shape.seed + 1)
    batches = []
    for step in range(steps):
        x = torch.randn(shape.tokens, shape.hidden, generator=generator) * 2.0 ** (step % 4 - 1)
        target = torch.randn(shape.tokens, shape.hidden, generator=generator) * 0.5
        batches.append((x.cuda(), target.cuda()))
    return batches


def _fp8_scales(modules: dict[str, Any]) -> dict[str, Any]:
    found = {}
    for name, module in modules.items():
        meta = getattr(module, "fp8_meta", None) or {}
        for direction, key in (("fwd", "scaling_fwd"), ("bwd", "scaling_bwd")):
            state = meta.get(key)
            scale = getattr(state, "scale", None)
            if scale is not None:
                found[f"scale.{name}.{direction}"] = scale.detach().clone()
    return found


def train(config: RunConfig, steps: int, shape: ModelShape) -> SideRun:
    """`steps` SGD steps of the fixed model under `config`; records everything compared later."""
    _quiet_te_environment()
    import torch
    import transformer_engine.pytorch as te

    dtype = _dtype(torch, config.dtype)
    mlp = te.LayerNormMLP(shape.hidden, shape.ffn, params_dtype=dtype, device="cuda")
    proj = te.Linear(shape.hidden, shape.hidden, params_dtype=dtype, device="cuda")
    model = torch.nn.Sequential(mlp, proj)
    master = _initial_weights(torch, model, shape.seed)
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, param in params.items():
            param.copy_(master[name].to(dtype))
    recipe = te_recipe(config.recipe) if config.recipe is not None else None
    autocast = getattr(te, "autocast", None)
    scaler = LossScaler(config.scaler) if config.scaler is not None else None
    run = SideRun(config, [], [], {}, [])
    for x, target in _data(torch, shape, steps):
        for param in params.values():
            param.grad = None
        if recipe is None:
            context = nullcontext()
        elif autocast is not None:
            context = autocast(enabled=True, recipe=recipe)
        else:
            context = te.fp8_autocast(enabled=True, fp8_recipe=recipe)
        with context:
            out = model(x.to(dtype))
        loss = ((out.float() - target) ** 2).sum(-1).mean()
        loss_scale = scaler.scale if scaler is not None else 1.0
        (loss * loss_scale).backward()
        grads = {name: param.grad.float() / loss_scale for name, param in params.items()}
        found_inf = not all(bool(torch.isfinite(g).all()) for g in grads.values())
        if not found_inf:
            with torch.no_grad():
                for name, param in params.items():
                    master[name] -= shape.lr * grads[name]
                    param.copy_(master[name].to(dtype))
        if scaler is not None:
            scaler.update(found_inf)
        record = {"output": out.detach().float(), "loss": loss.detach()}
        record.update({f"grad.{name}": grad for name, grad in grads.items()})
        scales = _fp8_scales({"mlp": mlp, "proj": proj})
        record.update(scales)
        if scaler is not None:
            record["loss_scale.value"] = torch.tensor(scaler.scale)
        run.trace.append(record)
        run.losses.append(float(loss.detach()))
        run.loss_scales.append(loss_scale)
        for name, scale in scales.items():
            run.scales.setdefault(name, []).append([float(v) for v in scale.flatten().tolist()])
    return run


def torch_diff(a: Any, b: Any) -> tuple[bool, float]:
    import torch

    if a.shape != b.shape:
        return False, math.inf
    x, y = a.float(), b.float()
    equal = bool(torch.equal(x, y)) or bool(((x == y) | (torch.isnan(x) & torch.isnan(y))).all())
    finite = torch.isfinite(x) & torch.isfinite(y)
    delta = (x - y).abs()[finite]
    worst = float(delta.max()) if delta.numel() else 0.0
    if not equal and not bool(finite.all()):
        mismatch = ~finite & (x != y)
        if bool(mismatch.any()):
            worst = math.inf
    return equal, worst


def _reference_check(label: str, run: SideRun, reference: SideRun) -> ReferenceCheck:
    import torch

    errors, cosines = [], []
    for a, b in zip(run.trace, reference.trace):
        x, y = a["output"].flatten().double(), b["output"].flatten().double()
        errors.append(float(torch.linalg.vector_norm(x - y) / torch.linalg.vector_norm(y)))
        cosines.append(float(torch.nn.functional.cosine_similarity(x, y, dim=0)))
    return ReferenceCheck(label, tuple(errors), tuple(cosines))


def run_numeric(legacy: RunConfig, migrated: RunConfig, steps: int = DEFAULT_STEPS, shape: ModelShape = ModelShape()) -> NumericResult:
    """Train both sides (and a no-FP8 reference) from identical weights and compare every step."""
    import torch
    import transformer_engine

    started = time.perf_counter()
    torch.cuda.reset_peak_memory_stats()
    torch.backends.cudnn.deterministic = True
    runs = {"legacy": train(legacy, steps, shape), "migrated": train(migrated, steps, shape)}
    comparison = compare_traces(runs["legacy"].trace, runs["migrated"].trace, torch_diff)
    references = []
    fp8_side = legacy if legacy.recipe is not None else migrated if migrated.recipe is not None else None
    if fp8_side is not None:
        runs["reference"] = train(reference_config(fp8_side), steps, shape)
        for label in ("legacy", "migrated"):
            if runs[label].config.recipe is not None:
                references.append(_reference_check(label, runs[label], runs["reference"]))
    torch.cuda.synchronize()
    environment = {
        "device": torch.cuda.get_device_name(),
        "torch": torch.__version__,
        "transformer_engine": getattr(transformer_engine, "__version__", "unknown"),
    }
    return NumericResult(
        steps, shape, comparison, runs, tuple(references), time.perf_counter() - started,
        int(torch.cuda.max_memory_allocated()), environment,
    )

"""One side's training run for the numeric check: model, data, weights mode, FP8, loss scaler and
(with several processes) the data-parallel gradient all-reduce.

The model is `te.LayerNormMLP` followed by `te.Linear` (dims multiples of 16, as FP8 GEMMs need);
the same architecture in plain PyTorch layers (`Engine("torch", "cpu")`) runs every part that does
not need Transformer Engine on a CPU, which is how the tests exercise this loop without a GPU.
Weights follow the side's mode: O2 holds them in the training dtype with fp32 master weights (as
NeMo's Float16Module does), O1 keeps fp32 weights and runs the forward under `torch.autocast`, fp32
is plain fp32. SGD updates the fp32 master weights. Initial weights and per-step data come from
fixed seeds on the CPU, so two sides with the same settings start bitwise identical; inputs are
rescaled from step to step so the amax changes and the delayed-scaling history matters. torch and
Transformer Engine are imported inside the functions only.
"""

from __future__ import annotations

import math
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from migrate.verify.loss_scaler import make_scaler
from migrate.verify.recipes import RunConfig, te_recipe

RANK_MAGNITUDE = 4.0  # rank r's data is scaled by 4**r, so that reductions across ranks matter
RANK_SEED_STRIDE = 1000
SPIKE = 2.0**40  # a target this large overflows fp16 gradients at any loss scale above ~2**-12


@dataclass(frozen=True)
class ModelShape:
    tokens: int = 128
    hidden: int = 256
    ffn: int = 1024
    seed: int = 1234
    lr: float = 1e-3
    # Add the input back to the output, as a transformer layer adds to its residual stream. The
    # stream is where O1 and O2 differ in a TE model: TE casts its own fp32 weights to the autocast
    # dtype (so its GEMMs match O2's), while the residual stays fp32 under O1 and is half under O2.
    residual: bool = False


@dataclass(frozen=True)
class Engine:
    """Which layers and device train: Transformer Engine on CUDA, or plain PyTorch (CPU tests)."""

    layers: str = "te"  # "te" | "torch"
    device: str = "cuda"  # "cuda" | "cpu"


TE_CUDA = Engine("te", "cuda")
TORCH_CPU = Engine("torch", "cpu")


@dataclass(frozen=True)
class DataParallel:
    """This process's place in a data-parallel group (torch.distributed is initialised)."""

    rank: int
    world_size: int
    group: Any = None  # gradient all-reduce and amax reduction group (None: the default group)


@dataclass
class SideRun:
    config: RunConfig
    trace: list[dict[str, Any]]
    losses: list[float]
    scales: dict[str, list[list[float]]]  # "scale.mlp.fwd" -> per step list of the scale tensor
    loss_scales: list[float]  # the loss scale each step's backward used
    skipped: list[bool] = field(default_factory=list)  # optimizer step skipped (non-finite gradients)
    scaler: str | None = None  # which loss-scaler implementation ran
    rank: int = 0
    peak_memory_bytes: int = 0


def torch_dtype(torch, name: str):
    return {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[name]


def build_model(torch, engine: Engine, shape: ModelShape, params_dtype):
    """(model, {name: module holding FP8 metadata}) for the engine's layers."""
    if engine.layers == "te":
        import transformer_engine.pytorch as te

        mlp = te.LayerNormMLP(shape.hidden, shape.ffn, params_dtype=params_dtype, device=engine.device)
        proj = te.Linear(shape.hidden, shape.hidden, params_dtype=params_dtype, device=engine.device)
        return torch.nn.Sequential(mlp, proj), {"mlp": mlp, "proj": proj}
    nn = torch.nn
    model = nn.Sequential(
        nn.LayerNorm(shape.hidden, eps=1e-5),
        nn.Linear(shape.hidden, shape.ffn),
        nn.GELU(approximate="tanh"),
        nn.Linear(shape.ffn, shape.hidden),
        nn.Linear(shape.hidden, shape.hidden),
    )
    return model.to(device=engine.device, dtype=params_dtype), {}


def _is_norm_weight(name: str, engine: Engine) -> bool:
    return "layer_norm_weight" in name if engine.layers == "te" else name == "0.weight"


def initial_weights(torch, model, seed: int, engine: Engine = TE_CUDA) -> dict[str, Any]:
    """fp32 master weights from a CPU generator: identical for every side, rank and engine."""
    generator = torch.Generator().manual_seed(seed)
    master = {}
    for name, param in model.named_parameters():
        if _is_norm_weight(name, engine):
            value = torch.ones(param.shape)
        elif param.dim() == 1:
            value = torch.randn(param.shape, generator=generator) * 0.02
        else:
            value = torch.randn(param.shape, generator=generator) / math.sqrt(param.shape[-1])
        master[name] = value.to(engine.device, torch.float32)
    return master


def make_data(torch, shape: ModelShape, steps: int, device: str = "cuda", rank: int = 0,
              spikes: tuple[bool, ...] | None = None) -> list[tuple[Any, Any]]:
    """Per-step (input, target). Rank r draws its own data, scaled by RANK_MAGNITUDE**r; a spike
    step multiplies the target by SPIKE so that fp16 gradients overflow whatever the loss scale."""
    generator = torch.Generator().manual_seed(shape.seed + 1 + RANK_SEED_STRIDE * rank)
    magnitude = RANK_MAGNITUDE**rank
    batches = []
    for step in range(steps):
        x = torch.randn(shape.tokens, shape.hidden, generator=generator) * 2.0 ** (step % 4 - 1)
        target = torch.randn(shape.tokens, shape.hidden, generator=generator) * 0.5
        if magnitude != 1.0:
            x, target = x * magnitude, target * magnitude
        if spikes is not None and spikes[step]:
            target = target * SPIKE
        batches.append((x.to(device), target.to(device)))
    return batches


def fp8_scales(modules: dict[str, Any]) -> dict[str, Any]:
    found = {}
    for name, module in modules.items():
        meta = getattr(module, "fp8_meta", None) or {}
        for direction, key in (("fwd", "scaling_fwd"), ("bwd", "scaling_bwd")):
            state = meta.get(key)
            scale = getattr(state, "scale", None)
            if scale is not None:
                found[f"scale.{name}.{direction}"] = scale.detach().clone()
    return found


def fp8_context(recipe, group):
    """TE's FP8 region: `te.autocast(recipe=, amax_reduction_group=)` (TE >= 2.10), else the older
    `te.fp8_autocast(fp8_recipe=, fp8_group=)`."""
    import transformer_engine.pytorch as te

    autocast = getattr(te, "autocast", None)
    if autocast is not None:
        kwargs = {"amax_reduction_group": group} if group is not None else {}
        return autocast(enabled=True, recipe=recipe, **kwargs)
    kwargs = {"fp8_group": group} if group is not None else {}
    return te.fp8_autocast(enabled=True, fp8_recipe=recipe, **kwargs)


def _inverse(torch, scale: float) -> float:
    """The fp32 reciprocal both stacks unscale with (scale.double().reciprocal().float())."""
    return float(torch.tensor(1.0 / scale, dtype=torch.float64).float())


def reduce_gradient(torch, grad, config: RunConfig, dp: DataParallel):
    """Data-parallel mean in the side's reduction dtype: scale by 1/N, then all-reduce SUM (as
    Megatron's DDP and NeMo 1.0's all-reduce do), returned in that dtype."""
    import torch.distributed as dist

    dtype = torch_dtype(torch, config.grad_reduce_dtype) if config.grad_reduce_dtype else grad.dtype
    reduced = grad.to(dtype)
    reduced.mul_(1.0 / dp.world_size)
    dist.all_reduce(reduced, op=dist.ReduceOp.SUM, group=dp.group)
    return reduced


def train(config: RunConfig, steps: int, shape: ModelShape, engine: Engine = TE_CUDA, *,
          data: list[tuple[Any, Any]] | None = None, dp: DataParallel | None = None) -> SideRun:
    """`steps` SGD steps of the fixed model under `config`; records everything compared later."""
    import torch

    if config.recipe is not None and engine.layers != "te":
        raise ValueError(f"{config.label}: FP8 ({config.recipe.cls}) needs Transformer Engine layers")
    compute = torch_dtype(torch, config.dtype)
    params_dtype = torch_dtype(torch, config.params_dtype)
    model, fp8_modules = build_model(torch, engine, shape, params_dtype)
    master = initial_weights(torch, model, shape.seed, engine)
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, param in params.items():
            param.copy_(master[name].to(params_dtype))
    recipe = te_recipe(config.recipe) if config.recipe is not None else None
    scaler = make_scaler(config.scaler, engine.device) if config.scaler is not None else None
    rank = dp.rank if dp is not None else 0
    if data is None:
        data = make_data(torch, shape, steps, engine.device, rank)
    input_dtype = compute if config.weights == "O2" else torch.float32
    run = SideRun(config, [], [], {}, [], [], None if scaler is None else scaler.description, rank)
    if engine.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    for x, target in data:
        for param in params.values():
            param.grad = None
        with ExitStack() as stack:
            if config.weights == "O1":
                stack.enter_context(torch.autocast(device_type=engine.device, dtype=compute))
            if recipe is not None:
                stack.enter_context(fp8_context(recipe, dp.group if dp is not None else None))
            inputs = x.to(input_dtype)
            out = model(inputs)
        if shape.residual:
            out = out + inputs  # outside autocast: fp32 under O1 (fp32 + half), half under O2
        loss = ((out.float() - target) ** 2).sum(-1).mean()
        loss_scale = scaler.scale if scaler is not None else 1.0
        (loss * loss_scale).backward()
        raw = {name: param.grad for name, param in params.items()}
        if dp is not None and dp.world_size > 1:
            raw = {name: reduce_gradient(torch, grad, config, dp) for name, grad in raw.items()}
        inverse = _inverse(torch, loss_scale) if loss_scale != 1.0 else 1.0
        grads = {name: grad.float() * inverse if inverse != 1.0 else grad.float() for name, grad in raw.items()}
        found_inf = not all(bool(torch.isfinite(g).all()) for g in grads.values())
        if not found_inf:
            with torch.no_grad():
                for name, param in params.items():
                    master[name] -= shape.lr * grads[name]
                    param.copy_(master[name].to(params_dtype))
        if scaler is not None:
            scaler.update(found_inf)
        record = {"output": out.detach().float(), "loss": loss.detach()}
        record.update({f"grad.{name}": grad for name, grad in grads.items()})
        scales = fp8_scales(fp8_modules)
        record.update(scales)
        if scaler is not None:
            record["loss_scale.value"] = torch.tensor(scaler.scale)
            record["loss_scale.skipped"] = torch.tensor(float(found_inf))
        run.trace.append(record)
        run.losses.append(float(loss.detach()))
        run.loss_scales.append(loss_scale)
        run.skipped.append(found_inf)
        for name, scale in scales.items():
            run.scales.setdefault(name, []).append([float(v) for v in scale.flatten().tolist()])
    if engine.device == "cuda":
        run.peak_memory_bytes = int(torch.cuda.max_memory_allocated())
    return run

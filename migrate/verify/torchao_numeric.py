"""Approximate numeric check for AutoModel: TE delayed scaling vs torchao float8, each against bf16.

AutoModel trains FP8 through torchao (dynamic scaling), so no bitwise comparison with the legacy
Transformer Engine run is possible. Instead, four runs start from the same initial weights and see
the same data (the numeric check's model and seeds):

- legacy:    TE `LayerNormMLP` + `Linear` under the legacy `DelayedScaling` recipe;
- reference: the same TE model in bf16 without FP8;
- baseline:  the equivalent plain-PyTorch model (LayerNorm, Linear, tanh-GELU, Linear, Linear) in
             bf16 without FP8, which shows the two implementations agree before FP8 enters;
- torchao:   that PyTorch model after `torchao.float8.convert_to_float8_training` with the
             AutoModel recipe (tensorwise / rowwise).

Each is compared with the reference per step (relative error and cosine similarity of the output).
The check passes when the torchao run stays within the tolerance below at every step and the
baseline agrees with the reference. torch, TE and torchao are imported inside the functions only.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from migrate.verify.recipes import RunConfig, reference_config
from migrate.verify.traces import ReferenceCheck

# Tolerance of the approximate check, per step, torchao output against the bf16 reference.
# Measured on an H100 (torch 2.11, TE 2.20.2, torchao 0.18, 10 steps, this model): worst relative
# error 0.0716 (tensorwise) and 0.0727 (rowwise), cosine >= 0.9973; the legacy TE delayed-scaling
# run itself reaches 0.0721 / 0.9974, and E4M3's 3-bit mantissa predicts about 0.07 for two
# quantised GEMM operands. 0.10 leaves ~40% headroom; cos 0.995 is the same bound (1 - 0.1**2 / 2).
MAX_RELATIVE_ERROR = 0.10
MIN_COSINE = 0.995
# The bf16 PyTorch model against the bf16 TE model: only kernel rounding may differ.
MAX_BASELINE_RELATIVE_ERROR = 0.02


@dataclass
class ApproximateResult:
    steps: int
    recipe: str  # torchao recipe name
    checks: dict[str, ReferenceCheck]  # "legacy", "torchao", "baseline" -> against the reference
    losses: dict[str, list[float]]  # run label -> loss per step
    wall_s: float
    peak_memory_bytes: int
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def baseline_agrees(self) -> bool:
        errors = self.checks["baseline"].relative_error
        return all(math.isfinite(e) and e <= MAX_BASELINE_RELATIVE_ERROR for e in errors)

    @property
    def within_tolerance(self) -> bool:
        check = self.checks["torchao"]
        within = all(math.isfinite(e) and e <= MAX_RELATIVE_ERROR for e in check.relative_error) and all(
            c >= MIN_COSINE for c in check.cosine
        )
        return within and self.baseline_agrees

    @property
    def equal(self) -> bool:
        """Never bitwise: two different FP8 implementations."""
        return False


def unavailable_reason() -> str | None:
    """None when torchao float8 training can run here (after the TE check), else why not."""
    try:
        from torchao.float8 import convert_to_float8_training  # noqa: F401
    except Exception as error:  # noqa: BLE001 - a broken torchao install raises many kinds
        return f"torchao is not importable ({type(error).__name__}: {error}; pip install torchao)"
    return None


def _torch_model(torch, shape):
    nn = torch.nn
    return nn.Sequential(
        nn.LayerNorm(shape.hidden, eps=1e-5),
        nn.Linear(shape.hidden, shape.ffn),
        nn.GELU(approximate="tanh"),
        nn.Linear(shape.ffn, shape.hidden),
        nn.Linear(shape.hidden, shape.hidden),
    ).cuda()


# TE parameter name (numeric.train's Sequential) -> the PyTorch model's parameter name.
_NAMES = {
    "0.layer_norm_weight": "0.weight",
    "0.layer_norm_bias": "0.bias",
    "0.fc1_weight": "1.weight",
    "0.fc1_bias": "1.bias",
    "0.fc2_weight": "3.weight",
    "0.fc2_bias": "3.bias",
    "1.weight": "4.weight",
    "1.bias": "4.bias",
}


def _te_initial_weights(torch, shape) -> dict[str, Any]:
    """The numeric check's initial fp32 weights, renamed for the PyTorch model."""
    import transformer_engine.pytorch as te

    from migrate.verify.numeric import _initial_weights

    model = torch.nn.Sequential(
        te.LayerNormMLP(shape.hidden, shape.ffn, device="cuda"), te.Linear(shape.hidden, shape.hidden, device="cuda")
    )
    master = _initial_weights(torch, model, shape.seed)
    return {_NAMES[name]: value for name, value in master.items()}


def train_torch(recipe: str | None, steps: int, shape, initial: dict[str, Any]) -> list[dict[str, Any]]:
    """numeric.train's loop for the PyTorch model in bf16, FP8 through torchao when `recipe` is set."""
    import torch

    model = _torch_model(torch, shape).to(torch.bfloat16)
    if recipe is not None:
        from torchao.float8 import Float8LinearConfig, convert_to_float8_training

        def dims_of_16(module, fqn: str) -> bool:  # AutoModel's own filter
            return module.in_features % 16 == 0 and module.out_features % 16 == 0

        convert_to_float8_training(model, config=Float8LinearConfig.from_recipe_name(recipe), module_filter_fn=dims_of_16)
    params = dict(model.named_parameters())
    master = {name: value.clone() for name, value in initial.items()}
    with torch.no_grad():
        for name, param in params.items():
            param.copy_(master[name].to(torch.bfloat16))
    from migrate.verify.numeric import _data

    trace = []
    for x, target in _data(torch, shape, steps):
        for param in params.values():
            param.grad = None
        out = model(x.to(torch.bfloat16))
        loss = ((out.float() - target) ** 2).sum(-1).mean()
        loss.backward()
        with torch.no_grad():
            for name, param in params.items():
                master[name] -= shape.lr * param.grad.float()
                param.copy_(master[name].to(torch.bfloat16))
        trace.append({"output": out.detach().float(), "loss": float(loss.detach())})
    return trace


def _against(torch, label: str, trace: list[dict[str, Any]], reference: list[dict[str, Any]]) -> ReferenceCheck:
    errors, cosines = [], []
    for a, b in zip(trace, reference):
        x, y = a["output"].flatten().double(), b["output"].flatten().double()
        errors.append(float(torch.linalg.vector_norm(x - y) / torch.linalg.vector_norm(y)))
        cosines.append(float(torch.nn.functional.cosine_similarity(x, y, dim=0)))
    return ReferenceCheck(label, tuple(errors), tuple(cosines))


def run_approximate(legacy: RunConfig, recipe: str, steps: int = 10, shape=None) -> ApproximateResult:
    """The four runs and their per-step comparison with the bf16 reference."""
    import torch
    import torchao
    import transformer_engine

    from migrate.verify.numeric import ModelShape, train

    shape = shape or ModelShape()
    started = time.perf_counter()
    torch.cuda.reset_peak_memory_stats()
    torch.backends.cudnn.deterministic = True
    te_legacy = train(legacy, steps, shape)
    te_reference = train(reference_config(legacy), steps, shape)
    initial = _te_initial_weights(torch, shape)
    baseline = train_torch(None, steps, shape, initial)
    converted = train_torch(recipe, steps, shape, initial)
    reference = te_reference.trace
    checks = {
        "legacy": _against(torch, "legacy (TE delayed)", te_legacy.trace, reference),
        "torchao": _against(torch, f"torchao {recipe}", converted, reference),
        "baseline": _against(torch, "PyTorch bf16 (no FP8)", baseline, reference),
    }
    losses = {
        "legacy": te_legacy.losses,
        "reference": te_reference.losses,
        "baseline": [step["loss"] for step in baseline],
        "torchao": [step["loss"] for step in converted],
    }
    torch.cuda.synchronize()
    environment = {
        "device": torch.cuda.get_device_name(),
        "torch": torch.__version__,
        "transformer_engine": getattr(transformer_engine, "__version__", "unknown"),
        "torchao": getattr(torchao, "__version__", "unknown"),
    }
    return ApproximateResult(
        steps, recipe, checks, losses, time.perf_counter() - started, int(torch.cuda.max_memory_allocated()), environment
    )

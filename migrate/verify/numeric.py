"""Numeric check: train a small Transformer Engine model under each side's settings and compare.

The legacy run trains as NeMo 1.0 ran (O1 with fp32 weights under autocast where the config had
no megatron_amp_O2, NeMo 1.0's loss-scaler rule), the migrated run as the migrated stack does
(training.py holds the loop). Outputs, loss, gradients, FP8 scaling factors and loss scale are
compared bitwise at every step. When they differ and the legacy run holds settings the migrated
stack cannot express (twin.py), the legacy run "as expressible" must still equal the migrated run
bitwise, and the distance of the migrated run from the legacy run as it ran (and of both from an
fp32 reference) is judged against the documented tolerance (tolerance.py). fp16 runs also go
through an overflow schedule (loss_scaling.py). `--gpus N` trains data-parallel (distributed.py).
torch and Transformer Engine are imported here only, inside the functions.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field, replace
from typing import Any

from migrate.verify.recipes import RunConfig, fp32_reference_config, reference_config
from migrate.verify.tolerance import DistanceCheck, tolerance_for
from migrate.verify.traces import ReferenceCheck, TraceComparison, compare_traces
from migrate.verify.training import TE_CUDA, Engine, ModelShape, SideRun, initial_weights, make_data
from migrate.verify.training import train as train_engine
from migrate.verify.twin import expressible_twin
from migrate.verify.verdict import EQUAL, comparison_outcome, worst

DEFAULT_STEPS = 10
INSTALL_HINT = "pip install 'nemo-migrate[verify]'"
TWIN, FP32 = "twin", "fp32"  # run labels besides "legacy", "migrated", "reference"

__all__ = ["ModelShape", "NumericResult", "RankResult", "SideRun", "run_numeric", "train", "unavailable_reason"]


@dataclass(frozen=True)
class RankResult:
    """One rank's comparisons (rank 0 only on one GPU)."""

    rank: int
    comparison: TraceComparison  # legacy vs migrated
    twin: TraceComparison | None = None  # legacy-as-expressible vs migrated, when the first differs
    distances: DistanceCheck | None = None  # migrated vs legacy as it ran (and both vs fp32)

    @property
    def outcome(self) -> str:
        twin_equal = None if self.twin is None else self.twin.equal
        return comparison_outcome(self.comparison.equal, twin_equal, None if self.distances is None else self.distances.within)


@dataclass
class NumericResult:
    steps: int
    shape: ModelShape
    ranks: tuple[RankResult, ...]
    runs: dict[str, SideRun]  # rank 0's runs: "legacy", "migrated", maybe "twin", "fp32", "reference"
    references: tuple[ReferenceCheck, ...]
    wall_s: float
    peak_memory_bytes: int
    environment: dict[str, str] = field(default_factory=dict)
    projections: tuple[str, ...] = ()  # what the twin replaced (twin.py)
    loss_scaling: Any = None  # loss_scaling.LossScalingCheck
    world_size: int = 1
    backend: str | None = None
    rank_runs: dict[str, list[SideRun]] = field(default_factory=dict)  # every rank's runs (--gpus N)
    peak_memory_per_rank: tuple[int, ...] = ()

    @property
    def comparison(self) -> TraceComparison:
        return self.ranks[0].comparison

    @property
    def outcome(self) -> str:
        parts = [rank.outcome for rank in self.ranks]
        if self.loss_scaling is not None:
            parts.append(self.loss_scaling.outcome)
        return worst(*parts)

    @property
    def equal(self) -> bool:
        return self.outcome == EQUAL


def _quiet_te_environment() -> None:
    """Before TE's first import: eager fused ops instead of torch.compile (seconds of compile per
    run, same ops on both sides); a caller's explicit NVTE_TORCH_COMPILE wins."""
    os.environ.setdefault("NVTE_TORCH_COMPILE", "0")


def unavailable_reason(gpus: int = 1) -> str | None:
    """None when the numeric check can run here, else why not (no torch, no CUDA, no TE, no FP8,
    fewer than `gpus` CUDA devices)."""
    _quiet_te_environment()
    try:
        import torch
    except ImportError:
        return f"PyTorch is not installed ({INSTALL_HINT})"
    if not torch.cuda.is_available():
        return "no CUDA device"
    if gpus > 1 and torch.cuda.device_count() < gpus:
        return f"--gpus {gpus} needs {gpus} CUDA devices; this machine has {torch.cuda.device_count()}"
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


def train(config: RunConfig, steps: int, shape: ModelShape, engine: Engine = TE_CUDA, **kwargs) -> SideRun:
    """`steps` SGD steps of the fixed model under `config` (training.train; TE on CUDA by default)."""
    if engine.layers == "te":
        _quiet_te_environment()
    return train_engine(config, steps, shape, engine, **kwargs)


def _initial_weights(torch, model, seed: int) -> dict[str, Any]:
    return initial_weights(torch, model, seed, TE_CUDA)


def _data(torch, shape: ModelShape, steps: int) -> list[tuple[Any, Any]]:
    return make_data(torch, shape, steps, "cuda")


def torch_diff(a: Any, b: Any) -> tuple[bool, float]:
    import torch

    if a.shape != b.shape:
        return False, math.inf
    x, y = a.float(), b.float()
    equal = bool(torch.equal(x, y)) or bool(((x == y) | (torch.isnan(x) & torch.isnan(y))).all())
    finite = torch.isfinite(x) & torch.isfinite(y)
    delta = (x - y).abs()[finite]
    worst_delta = float(delta.max()) if delta.numel() else 0.0
    if not equal and not bool(finite.all()):
        mismatch = ~finite & (x != y)
        if bool(mismatch.any()):
            worst_delta = math.inf
    return equal, worst_delta


def _reference_check(label: str, run: SideRun, reference: SideRun) -> ReferenceCheck:
    import torch

    errors, cosines = [], []
    for a, b in zip(run.trace, reference.trace):
        x, y = a["output"].flatten().double(), b["output"].flatten().double()
        errors.append(float(torch.linalg.vector_norm(x - y) / torch.linalg.vector_norm(y)))
        cosines.append(float(torch.nn.functional.cosine_similarity(x, y, dim=0)))
    return ReferenceCheck(label, tuple(errors), tuple(cosines))


def uses_fp8(legacy: RunConfig, migrated: RunConfig) -> bool:
    return legacy.recipe is not None or migrated.recipe is not None


def judge_rank(rank: int, runs: dict[str, SideRun], fp8: bool) -> RankResult:
    """Legacy vs migrated bitwise; when they differ and a twin ran, twin vs migrated bitwise and
    the distances (migrated vs legacy, each vs the fp32 reference)."""
    from migrate.verify.distances import pair_distance

    comparison = compare_traces(runs["legacy"].trace, runs["migrated"].trace, torch_diff)
    if comparison.equal or TWIN not in runs:
        return RankResult(rank, comparison)
    twin = compare_traces(runs[TWIN].trace, runs["migrated"].trace, torch_diff)
    references = ()
    if FP32 in runs:
        references = tuple(pair_distance(label, "fp32 reference", runs[label].trace, runs[FP32].trace) for label in ("legacy", "migrated"))
    judged = pair_distance("migrated", "legacy", runs["migrated"].trace, runs["legacy"].trace)
    return RankResult(rank, comparison, twin, DistanceCheck(judged, tolerance_for(fp8), references))


def fp8_references(legacy: RunConfig, migrated: RunConfig, runs: dict[str, SideRun], train_fn) -> tuple[ReferenceCheck, ...]:
    """FP8 runs against the same run without FP8 (a sanity bound, traces.MAX_RELATIVE_ERROR)."""
    fp8_side = legacy if legacy.recipe is not None else migrated if migrated.recipe is not None else None
    if fp8_side is None:
        return ()
    runs["reference"] = train_fn(reference_config(fp8_side))
    return tuple(_reference_check(label, runs[label], runs["reference"]) for label in ("legacy", "migrated") if runs[label].config.recipe is not None)


def _environment(engine: Engine) -> dict[str, str]:
    import torch

    environment = {"torch": torch.__version__}
    if engine.device == "cuda":
        environment["device"] = torch.cuda.get_device_name()
    else:
        environment["device"] = "CPU"
    if engine.layers == "te":
        import transformer_engine

        environment["transformer_engine"] = getattr(transformer_engine, "__version__", "unknown")
    else:
        environment["layers"] = "plain PyTorch (no Transformer Engine)"
    return environment


def run_numeric(legacy: RunConfig, migrated: RunConfig, steps: int = DEFAULT_STEPS, shape: ModelShape = ModelShape(),
                engine: Engine = TE_CUDA, gpus: int = 1, backend: str | None = None) -> NumericResult:
    """Train both sides from identical weights and compare every step (see the module docstring)."""
    import torch

    from migrate.verify import loss_scaling

    if engine.layers == "te":
        _quiet_te_environment()
    started = time.perf_counter()
    if engine.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
        torch.backends.cudnn.deterministic = True
    if "O1" in (legacy.weights, migrated.weights) and not shape.residual:
        shape = replace(shape, residual=True)  # where O1 and O2 differ in a TE model (training.ModelShape)
    twin_config, projections = expressible_twin(legacy, migrated)
    fp8 = uses_fp8(legacy, migrated)
    rank_runs: dict[str, list[SideRun]] = {}
    if gpus > 1:
        from migrate.verify.distributed import default_backend, distributed_runs

        backend = backend or default_backend(engine)
        rank_runs = distributed_runs(legacy, migrated, twin_config, steps, shape, engine, gpus, backend)
        per_rank = [{label: runs[rank] for label, runs in rank_runs.items()} for rank in range(gpus)]
        ranks = tuple(judge_rank(rank, runs, fp8) for rank, runs in enumerate(per_rank))
        runs = per_rank[0]
    else:
        def train_fn(config: RunConfig) -> SideRun:
            return train(config, steps, shape, engine)

        runs = {"legacy": train_fn(legacy), "migrated": train_fn(migrated)}
        if twin_config is not None and not compare_traces(runs["legacy"].trace, runs["migrated"].trace, torch_diff).equal:
            runs[TWIN] = train_fn(twin_config)
            runs[FP32] = train_fn(fp32_reference_config(legacy))
        ranks = (judge_rank(0, runs, fp8),)
    references = fp8_references(legacy, migrated, runs, lambda config: train(config, steps, shape, engine)) if gpus == 1 else ()
    check = None
    if loss_scaling.needed(legacy, migrated):
        check = loss_scaling.run_loss_scaling_check(legacy, migrated, twin_config, shape, engine)
    peak = max((run.peak_memory_bytes for run in runs.values()), default=0)
    per_rank_peak = tuple(max(run.peak_memory_bytes for run in [runs_[rank] for runs_ in rank_runs.values()]) for rank in range(gpus)) if rank_runs else ()
    if engine.device == "cuda":
        torch.cuda.synchronize()
        peak = max(peak, int(torch.cuda.max_memory_allocated()))
    return NumericResult(
        steps, shape, ranks, runs, references, time.perf_counter() - started, peak, _environment(engine),
        projections, check, gpus, backend if gpus > 1 else None, rank_runs, per_rank_peak,
    )

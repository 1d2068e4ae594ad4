"""`verify --gpus N`: the numeric check trained data-parallel by N processes that verify spawns itself.

One GPU cannot tell an fp32 gradient all-reduce from a bf16 one, nor reduce_amax True from False.
Here every process trains the same model from the same initial weights on its own data, scaled by
4**rank so that reductions matter; after each backward the gradients are averaged across ranks in
the side's reduction dtype (grad_reduce_dtype: fp32, or the half dtype for NeMo 1.0's
`grad_sync_dtype: bf16` / NeMo 2.0's `grad_reduce_in_fp32=False`), and delayed-scaling FP8 reduces
its amaxes over the data-parallel group when the recipe's reduce_amax says so (both NeMo 1.0 and
Megatron-core pass TP x DP x CP as the amax group: with DP = N, every rank). Each rank saves its
trace; the parent compares them per rank (numeric.judge_rank).

NCCL on CUDA (one GPU per rank), gloo otherwise (CPU, for tests with plain PyTorch layers; or all
ranks on one GPU). `NCCL_NVLS_ENABLE=0` is set for every process: NVLink multicast stays off.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from migrate.verify.recipes import RunConfig, fp32_reference_config
from migrate.verify.training import DataParallel, Engine, ModelShape, SideRun

PROCESS_ENV = {"NCCL_NVLS_ENABLE": "0"}
TIMEOUT_S = 300


class DistributedFailure(RuntimeError):
    """A spawned rank failed; the message names the rank and its error's last line."""


@dataclass(frozen=True)
class DistributedPlan:
    runs: tuple[tuple[str, RunConfig], ...]  # (label, config), trained in this order by every rank
    world_size: int
    steps: int
    shape: ModelShape
    engine: Engine
    backend: str
    timeout_s: int = TIMEOUT_S


def default_backend(engine: Engine) -> str:
    return "nccl" if engine.device == "cuda" else "gloo"


def _plain(run: SideRun) -> dict[str, Any]:
    """A SideRun as tensors, lists and numbers only (torch.load(weights_only=True) reads it)."""
    return {
        "trace": [{name: value.detach().cpu() for name, value in step.items()} for step in run.trace],
        "losses": list(run.losses),
        "scales": dict(run.scales),
        "loss_scales": list(run.loss_scales),
        "skipped": list(run.skipped),
        "scaler": run.scaler,
        "peak_memory_bytes": run.peak_memory_bytes,
    }


def _side_run(config: RunConfig, rank: int, plain: dict[str, Any]) -> SideRun:
    return SideRun(config, plain["trace"], plain["losses"], plain["scales"], plain["loss_scales"],
                   plain["skipped"], plain["scaler"], rank, plain["peak_memory_bytes"])


def _worker(rank: int, plan: DistributedPlan, directory: str) -> None:
    """One rank: join the group, train every run of the plan, save the traces."""
    os.environ.update(PROCESS_ENV)
    if plan.engine.layers == "te":
        os.environ.setdefault("NVTE_TORCH_COMPILE", "0")
    import torch
    import torch.distributed as dist

    from migrate.verify.training import train

    if plan.engine.device == "cuda":
        torch.cuda.set_device(rank % torch.cuda.device_count())
        torch.backends.cudnn.deterministic = True
    else:
        torch.set_num_threads(1)
    dist.init_process_group(
        plan.backend, init_method=f"file://{directory}/rendezvous", rank=rank, world_size=plan.world_size,
        timeout=timedelta(seconds=plan.timeout_s),
    )
    try:
        group = dist.new_group(list(range(plan.world_size)))
        dp = DataParallel(rank, plan.world_size, group)
        results = {label: _plain(train(config, plan.steps, plan.shape, plan.engine, dp=dp)) for label, config in plan.runs}
        torch.save(results, os.path.join(directory, f"rank{rank}.pt"))
        dist.barrier(group=group)
    finally:
        dist.destroy_process_group()


def _last_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__


def run_distributed(plan: DistributedPlan) -> dict[str, list[SideRun]]:
    """Spawn the ranks, wait for them, and return label -> per-rank SideRun."""
    import torch
    import torch.multiprocessing as mp

    saved = {name: os.environ.get(name) for name in PROCESS_ENV}
    os.environ.update(PROCESS_ENV)  # inherited by the spawned processes (which set it again)
    try:
        with tempfile.TemporaryDirectory(prefix="nemo-migrate-dist-") as directory:
            try:
                mp.start_processes(_worker, args=(plan, directory), nprocs=plan.world_size, join=True, start_method="spawn")
            except Exception as error:  # noqa: BLE001 - ProcessRaisedException / ProcessExitedException
                rank = getattr(error, "error_index", None)
                where = f"rank {rank}" if rank is not None else "a rank"
                raise DistributedFailure(f"{where} of {plan.world_size} ({plan.backend}) failed: {_last_line(error)}") from None
            configs = dict(plan.runs)
            result: dict[str, list[SideRun]] = {label: [] for label in configs}
            for rank in range(plan.world_size):
                saved_runs = torch.load(os.path.join(directory, f"rank{rank}.pt"), weights_only=True)
                for label, config in configs.items():
                    result[label].append(_side_run(config, rank, saved_runs[label]))
            return result
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def distributed_runs(legacy: RunConfig, migrated: RunConfig, twin: RunConfig | None, steps: int, shape: ModelShape,
                     engine: Engine, world_size: int, backend: str | None = None) -> dict[str, list[SideRun]]:
    """The legacy and migrated runs (and, when the legacy run has inexpressible settings, its twin
    and the fp32 reference) on `world_size` data-parallel ranks."""
    runs = [("legacy", legacy), ("migrated", migrated)]
    if twin is not None:
        runs += [("twin", twin), ("fp32", fp32_reference_config(legacy))]
    plan = DistributedPlan(tuple(runs), world_size, steps, shape, engine, backend or default_backend(engine))
    return run_distributed(plan)

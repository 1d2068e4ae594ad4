"""fp16 loss scaling under overflow: each side's own scaler on data built to make the scale move.

The numeric check's ten steps of well-behaved data rarely overflow, so the two update rules (NeMo
1.0's GradScaler on the legacy side, Megatron-core's Dynamic/ConstantGradScaler on the migrated
side; loss_scaler.py) would look alike. This check trains the same model on the same data plus
scheduled *spikes*: steps whose target is multiplied by 2**40, so that the scaled fp16 gradients
overflow at any loss scale. The schedule, built from the legacy scaler's settings, has four phases:

1. settle: plain data while a large initial scale (NeMo's 2**32) backs off by real overflows;
2. isolated: spike, clean, spike, clean, clean: NeMo 1.0 re-arms the hysteresis on the clean step
   between the spikes, Megatron-core does not (with hysteresis >= 2 only Megatron-core backs off);
3. burst: consecutive spikes, enough to take the scale below 1: NeMo 1.0 has no floor,
   Megatron-core stops at its min_loss_scale;
4. recovery: plain data again, trained from where each scaler ended.

The scale after every step, the skipped steps and the full training trace are compared for the
legacy run, the migrated run and the legacy run as the migrated stack could express it (twin.py).
The twin must reproduce the migrated run bitwise: otherwise the migration changed a scaler setting
it could have kept (initial scale, growth interval, hysteresis, floor), and the check differs. A
difference between the legacy and the migrated run that the twin explains comes from NeMo 1.0's
update rule, which NeMo 2.0 cannot express: it is reported (histories, skipped steps, how far the
outputs drift) and, like the structural check's limitation rows, counted only with --strict. The
schedule is built to drive the two rules apart, so its distances describe the schedule, not a
tolerance.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from migrate.verify.recipes import RunConfig, ScalerConfig
from migrate.verify.tolerance import PairDistance
from migrate.verify.traces import TraceComparison, compare_traces
from migrate.verify.verdict import DIFFERS, EQUAL

ISOLATED = (True, False, True, False, False)
RECOVERY = 6


@dataclass(frozen=True)
class StressSchedule:
    spikes: tuple[bool, ...]
    phases: tuple[tuple[str, int, int], ...]  # (phase, first step, last step), 1-based

    @property
    def steps(self) -> int:
        return len(self.spikes)

    def to_json(self) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "spike_steps": [i for i, spike in enumerate(self.spikes, start=1) if spike],
            "phases": [{"phase": name, "first": first, "last": last} for name, first, last in self.phases],
        }


def stress_schedule(scaler: ScalerConfig) -> StressSchedule:
    """Spikes for a run starting at `scaler`'s initial scale (see the module docstring)."""
    bits = max(0, math.ceil(math.log2(max(scaler.initial_scale, 1.0))))
    settle = max(6, bits - 8)
    growths = settle // max(1, scaler.growth_interval) + 1
    # Plain data stops overflowing near 2**12..2**16 on this model, so the burst starts at most
    # about 2**16 above 1: long enough to cross 1.0, short enough that every spike still overflows.
    burst = min(bits, 16) + growths + max(1, scaler.hysteresis) + 3
    parts = (("settle", (False,) * settle), ("isolated", ISOLATED), ("burst", (True,) * burst), ("recovery", (False,) * RECOVERY))
    spikes: list[bool] = []
    phases = []
    for name, flags in parts:
        phases.append((name, len(spikes) + 1, len(spikes) + len(flags)))
        spikes.extend(flags)
    return StressSchedule(tuple(spikes), tuple(phases))


@dataclass(frozen=True)
class ScaleHistory:
    label: str
    used: tuple[float, ...]  # loss scale each step's backward used
    after: tuple[float, ...]  # scale after each step's update
    skipped: tuple[bool, ...]
    implementation: str | None

    @property
    def skipped_steps(self) -> tuple[int, ...]:
        return tuple(i for i, skipped in enumerate(self.skipped, start=1) if skipped)

    @property
    def backoffs(self) -> int:
        return sum(1 for before, after in zip(self.used, self.after) if after < before)

    @property
    def growths(self) -> int:
        return sum(1 for before, after in zip(self.used, self.after) if after > before)

    def to_json(self) -> dict[str, Any]:
        return {
            "implementation": self.implementation,
            "scale_used": list(self.used),
            "scale_after": list(self.after),
            "skipped_steps": list(self.skipped_steps),
            "backoffs": self.backoffs,
            "growths": self.growths,
            "min_scale": min(self.after, default=None),
        }


def history_of(label: str, run) -> ScaleHistory:
    after = tuple(float(step["loss_scale.value"]) if "loss_scale.value" in step else 1.0 for step in run.trace)
    return ScaleHistory(label, tuple(run.loss_scales), after, tuple(run.skipped), run.scaler)


def first_difference(a: tuple, b: tuple) -> int | None:
    """1-based step where two per-step sequences first differ (a length difference counts)."""
    for i, (x, y) in enumerate(zip(a, b), start=1):
        if x != y:
            return i
    return min(len(a), len(b)) + 1 if len(a) != len(b) else None


@dataclass(frozen=True)
class LossScalingCheck:
    schedule: StressSchedule
    histories: dict[str, ScaleHistory]  # "legacy", "migrated", and "twin" when one exists
    comparison: TraceComparison  # legacy vs migrated, every quantity
    twin_comparison: TraceComparison | None
    distance: PairDistance  # migrated vs legacy outputs (informational)
    wall_s: float = 0.0

    @property
    def first_scale_difference(self) -> int | None:
        return first_difference(self.histories["legacy"].after, self.histories["migrated"].after)

    @property
    def first_skip_difference(self) -> int | None:
        return first_difference(self.histories["legacy"].skipped, self.histories["migrated"].skipped)

    @property
    def rule_difference(self) -> bool:
        """The legacy and migrated runs differ, and only by what the twin replaced (NeMo 1.0's rule)."""
        return not self.comparison.equal and self.twin_comparison is not None and self.twin_comparison.equal

    @property
    def outcome(self) -> str:
        """EQUAL also when the difference is NeMo 1.0's inexpressible rule (rule_difference)."""
        return EQUAL if self.comparison.equal or self.rule_difference else DIFFERS


def check_from_runs(schedule: StressSchedule, runs: dict[str, Any], diff, wall_s: float = 0.0) -> LossScalingCheck:
    """Compare already trained stress runs (labels "legacy", "migrated", optionally "twin")."""
    from migrate.verify.distances import pair_distance

    histories = {label: history_of(label, run) for label, run in runs.items()}
    comparison = compare_traces(runs["legacy"].trace, runs["migrated"].trace, diff)
    twin = compare_traces(runs["twin"].trace, runs["migrated"].trace, diff) if "twin" in runs else None
    distance = pair_distance("migrated", "legacy", runs["migrated"].trace, runs["legacy"].trace)
    return LossScalingCheck(schedule, histories, comparison, twin, distance, wall_s)


def run_loss_scaling_check(legacy: RunConfig, migrated: RunConfig, twin: RunConfig | None, shape, engine) -> LossScalingCheck:
    """Train the stress schedule under each side's own scaler (and the twin's)."""
    import torch

    from migrate.verify.numeric import torch_diff
    from migrate.verify.training import make_data, train

    started = time.perf_counter()
    scaler = legacy.scaler if legacy.scaler is not None and legacy.scaler.kind == "dynamic" else (legacy.scaler or migrated.scaler)
    schedule = stress_schedule(scaler)
    data = make_data(torch, shape, schedule.steps, engine.device, spikes=schedule.spikes)
    configs = {"legacy": legacy, "migrated": migrated}
    if twin is not None:
        configs["twin"] = twin
    runs = {label: train(config, schedule.steps, shape, engine, data=data) for label, config in configs.items()}
    return check_from_runs(schedule, runs, torch_diff, time.perf_counter() - started)


def needed(legacy: RunConfig, migrated: RunConfig) -> bool:
    """Either side scales its loss: the stress run can tell the two scalers apart."""
    return legacy.scaler is not None or migrated.scaler is not None

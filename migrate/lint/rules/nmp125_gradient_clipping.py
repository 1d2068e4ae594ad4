"""NMP125: gradient clipping moves to the optimizer config and is on by default in NeMo 2.0."""

from __future__ import annotations

from migrate.lint.findings import reports_for
from migrate.lint.rule import Rule


def check(ctx):
    yield from reports_for(ctx, "NMP125", fallback="trainer" if ctx.layout.has_trainer else None)


RULE = Rule(
    code="NMP125",
    name="gradient-clipping-changes",
    severity="warning",
    kind="legacy",
    summary="Gradient clipping must be written as `OptimizerConfig(clip_grad=...)` in NeMo 2.0",
    explanation=(
        "Without `trainer.gradient_clip_val` NeMo 1.0 does not clip; Megatron-core's `OptimizerConfig` clips "
        "at 1.0 by default. Other values move from the trainer to `clip_grad`; passing `gradient_clip_val` to "
        "`nl.Trainer` together with `MegatronMixedPrecision` raises."
    ),
    bad="trainer:\n  precision: bf16\nmodel:\n  megatron_amp_O2: True\n  optim:\n    name: distributed_fused_adam\n",
    good="trainer:\n  precision: bf16\n  gradient_clip_val: 1.0\nmodel:\n  megatron_amp_O2: True\n  optim:\n    name: distributed_fused_adam\n",
    bad_at=((1, 1),),
    check=check,
)

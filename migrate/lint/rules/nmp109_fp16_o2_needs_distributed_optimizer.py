"""NMP109: fp16 with `megatron_amp_O2: True` and no distributed optimizer (NeMo 1.0 raises)."""

from __future__ import annotations

from migrate.lint.findings import error_reports
from migrate.lint.rule import Rule


def check(ctx):
    """The spec builder decides the refusal (migrate.legacy); this rule owns its code."""
    yield from error_reports(ctx, "NMP109")


RULE = Rule(
    code="NMP109",
    name="fp16-o2-needs-distributed-optimizer",
    severity="error",
    kind="legacy",
    summary="fp16 O2 training needs the distributed fused Adam optimizer",
    explanation=(
        "`MegatronBaseModel.configure_optimizers` raises 'fp16 training is not yet supported with O2. Please "
        "set megatron_amp_O2 to False' unless `optim.name` is `distributed_fused_adam` (or, in the NeMo 1.0 "
        "code inside NeMo 2.x, `mcore_distributed_optim`). Switch the optimizer, set `megatron_amp_O2: False`, "
        "or train in bf16."
    ),
    bad="trainer:\n  precision: 16\nmodel:\n  megatron_amp_O2: True\n  optim:\n    name: fused_adam\n",
    good="trainer:\n  precision: 16\nmodel:\n  megatron_amp_O2: True\n  optim:\n    name: distributed_fused_adam\n",
    bad_at=((4, 3),),
    check=check,
)

"""NMP124: fp16 loss scaling behaves differently in NeMo 2.0."""

from __future__ import annotations

from migrate.lint.findings import reports_for
from migrate.lint.rule import Rule


def check(ctx):
    yield from reports_for(ctx, "NMP124", fallback=ctx.trainer_precision_key())


RULE = Rule(
    code="NMP124",
    name="fp16-loss-scaling-changes",
    severity="warning",
    kind="legacy",
    summary="fp16 dynamic loss scaling differs between NeMo 1.0 and NeMo 2.0",
    explanation=(
        "NeMo 1.0's GradScaler has no minimum loss scale; NeMo 2.0 floors it at `fp16_min_loss_scale` "
        "(default 1.0). By code reading, no NeMo 2.0 path sets Megatron-core's `grad_scale_func`, so the "
        "loss may not be scaled at all (NeMo issue #12102, unconfirmed at run time). Check the first steps' "
        "gradient norm after migrating, or train in bf16."
    ),
    bad="trainer:\n  precision: 16\nmodel:\n  megatron_amp_O2: False\n",
    good="trainer:\n  precision: bf16\nmodel:\n  megatron_amp_O2: True\n",
    bad_at=((2, 3), (2, 3)),
    check=check,
)

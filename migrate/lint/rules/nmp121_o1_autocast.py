"""NMP121: O1 mixed precision (fp32 weights + autocast), which NeMo 2.0 cannot express."""

from __future__ import annotations

from migrate.lint.findings import reports_for
from migrate.lint.rule import Rule


def check(ctx):
    yield from reports_for(ctx, "NMP121", fallback=ctx.trainer_precision_key())


RULE = Rule(
    code="NMP121",
    name="o1-not-expressible",
    severity="warning",
    kind="legacy",
    summary="`megatron_amp_O2: False` (O1) has no NeMo 2.0 equivalent",
    explanation=(
        "With half precision and `megatron_amp_O2: False` (the NeMo 1.0 code default), NeMo 1.0 keeps fp32 "
        "weights and runs the forward pass under `torch.autocast`. NeMo 2.0 always keeps half-precision "
        "weights with fp32 main parameters (O2-like); `autocast_enabled` has no effect. A migrated run "
        "uses less memory and its numerics differ slightly. Set `megatron_amp_O2: True` in the legacy "
        "config to compare like with like before migrating."
    ),
    bad="trainer:\n  precision: bf16\nmodel:\n  megatron_amp_O2: False\n",
    good="trainer:\n  precision: bf16\nmodel:\n  megatron_amp_O2: True\n",
    bad_at=((4, 3),),
    check=check,
)

"""NMP123: a legacy setting with numerical effect that NeMo 2.0 has no argument for."""

from __future__ import annotations

from migrate.lint.findings import reports_for
from migrate.lint.rule import Rule


def check(ctx):
    yield from reports_for(ctx, "NMP123")


RULE = Rule(
    code="NMP123",
    name="nemo2-drops-setting",
    severity="warning",
    kind="legacy",
    summary="NeMo 2.0's precision plugin has no argument for this setting",
    explanation=(
        "Some NeMo 1.0 settings change numerics or communication but have no `MegatronMixedPrecision` "
        "argument: `fp16_lm_cross_entropy` on the legacy path (Megatron-core always computes the loss in "
        "fp32), `grad_allreduce_chunk_size_mb` other than 125, a gradient-reduction dtype other than fp32 or "
        "the parameter dtype, fp16 loss scaling of a bf16 model, `fsdp` (a strategy setting in NeMo 2.0), "
        "`tp_only_amax_red` (a model setting). Each must be moved by hand or accepted as a change."
    ),
    bad="trainer:\n  precision: 16\nmodel:\n  megatron_amp_O2: False\n  fp16_lm_cross_entropy: True\n",
    good="trainer:\n  precision: 16\nmodel:\n  megatron_amp_O2: False\n  fp16_lm_cross_entropy: False\n",
    bad_at=((5, 3),),
    check=check,
)

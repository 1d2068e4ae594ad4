"""NMP109: fp16 with `megatron_amp_O2: True` and no distributed optimizer (NeMo 1.0 raises)."""

from __future__ import annotations

from migrate.lint.rule import Rule
from migrate.lint.rules.nmp108_amp_o2_with_fp32 import o2_enabled, o2_key


def check(ctx):
    if not ctx.layout.model or not o2_enabled(ctx) or ctx.compute_dtype() != "fp16":
        return
    if not isinstance(ctx.config.section(ctx.model_key("optim")), dict):
        return
    name = ctx.known(ctx.model_key("optim.name"))
    if name in ctx.profile.distributed_optimizers:
        return
    yield ctx.at_key(
        o2_key(ctx),
        f"precision 16 with megatron_amp_O2: True needs optim.name: distributed_fused_adam (got {name!r}): "
        "NeMo 1.0 raises 'fp16 training is not yet supported with O2'",
    )


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
    refusal=True,
)

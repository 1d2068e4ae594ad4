"""NMP201: torch AdamW over bf16 parameters in a long full-parameter AutoModel run."""

from __future__ import annotations

from migrate.lint.rule import Rule

TORCH_ADAM = ("torch.optim.AdamW", "torch.optim.Adam", "torch.optim.adamw.AdamW", "torch.optim.adam.Adam")
BF16_NAMES = (None, "auto", "bf16", "bfloat16", "torch.bfloat16")
LONG_RUN_STEPS = 1000


def _dtype_key(ctx) -> str | None:
    for name in ("dtype", "torch_dtype"):  # `dtype` is the new name and wins
        if ctx.lookup(f"model.{name}") is not None:
            return f"model.{name}"
    return None


def check(ctx):
    target = ctx.lookup("optimizer._target_")
    if target not in TORCH_ADAM or ctx.lookup("peft") is not None:
        return
    dtype_key = _dtype_key(ctx)
    dtype = ctx.lookup(dtype_key) if dtype_key else None
    if not (dtype is None or (isinstance(dtype, str) and dtype.strip() in BF16_NAMES)):
        return
    steps = ctx.lookup("step_scheduler.max_steps")
    if isinstance(steps, int) and not isinstance(steps, bool) and steps < LONG_RUN_STEPS:
        return
    stored = f"{dtype_key}: {dtype}" if dtype_key else "model.torch_dtype unset (auto: bf16)"
    yield ctx.at_value(
        "optimizer._target_",
        f"{target} keeps its Adam moments in the parameter dtype; with bf16 parameters ({stored}) they are bf16, "
        "which loses small updates over a long full-parameter run: use TE FusedAdam with master_weights: true, "
        "or torch_dtype: float32 with a bf16 mp_policy",
    )


RULE = Rule(
    code="NMP201",
    name="automodel-bf16-adam-state",
    severity="warning",
    kind="automodel",
    summary="torch AdamW with bf16 parameters keeps bf16 optimizer state",
    explanation=(
        "NeMo AutoModel stores parameters in `model.torch_dtype` (default 'auto', which gives bf16), and "
        "`torch.optim.AdamW` keeps `exp_avg`/`exp_avg_sq` in the parameter dtype. bf16 moments and bf16 "
        "weight updates lose precision over thousands of steps of full-parameter training (the AutoModel "
        "mixed-precision guide says so). Use `transformer_engine.pytorch.optimizers.fused_adam.FusedAdam` "
        "with `master_weights: true` (fp32 master weights and moments), or fp32 storage with an FSDP2 "
        "`mp_policy` computing in bf16. Runs shorter than 1000 steps and PEFT runs are not reported."
    ),
    bad=(
        "model:\n  _target_: nemo_automodel.NeMoAutoModelForCausalLM.from_pretrained\n  torch_dtype: bf16\n"
        "step_scheduler:\n  max_steps: 20000\noptimizer:\n  _target_: torch.optim.AdamW\n  lr: 1.0e-5\n"
    ),
    good=(
        "model:\n  _target_: nemo_automodel.NeMoAutoModelForCausalLM.from_pretrained\n  torch_dtype: bf16\n"
        "step_scheduler:\n  max_steps: 20000\noptimizer:\n"
        "  _target_: transformer_engine.pytorch.optimizers.fused_adam.FusedAdam\n  master_weights: true\n"
    ),
    bad_at=((7, 13),),
    check=check,
)

"""NMP108: `megatron_amp_O2: True` with fp32 precision (NeMo 1.0 raises)."""

from __future__ import annotations

from migrate.lint.rule import Rule


def o2_key(ctx) -> str | None:
    """Where megatron_amp_O2 is written: the model section, or the root of inference configs."""
    key = ctx.model_key("megatron_amp_O2")
    if ctx.get(key) is not None:
        return key
    if ctx.layout.model and ctx.get("megatron_amp_O2") is not None:
        return "megatron_amp_O2"
    return None


def o2_enabled(ctx) -> bool:
    key = o2_key(ctx)
    if key is None or ctx.flag("fsdp"):  # FSDP forces O2 off
        return False
    return ctx.known(key) is True or ctx.known(key) == 1


def check(ctx):
    if o2_enabled(ctx) and ctx.compute_dtype() == "fp32":
        yield ctx.at_key(
            o2_key(ctx),
            "megatron_amp_O2: True with precision 32: NeMo 1.0 refuses this (Float16Module raises 'Either "
            "config.fp16 or config.bf16 should be True')",
        )


RULE = Rule(
    code="NMP108",
    name="amp-o2-with-fp32",
    severity="error",
    kind="legacy",
    summary="`megatron_amp_O2: True` needs fp16 or bf16 precision",
    explanation=(
        "O2 wraps the model in `Float16Module`, which casts the weights to half precision and raises when "
        "neither fp16 nor bf16 is configured. With precision 32 the job stops at model construction. Set "
        "`megatron_amp_O2: False` for fp32 training, or train in bf16."
    ),
    bad="trainer:\n  precision: 32\nmodel:\n  megatron_amp_O2: True\n",
    good="trainer:\n  precision: 32\nmodel:\n  megatron_amp_O2: False\n",
    bad_at=((4, 3),),
    check=check,
    refusal=True,
)

"""NMP120: a setting whose NeMo 2.0 default differs from what this config effectively ran with."""

from __future__ import annotations

from migrate.lint.rule import Rule


def _code(value) -> str:
    attribute = getattr(value, "attribute", None)
    return f"torch.{attribute}" if attribute else repr(value)


def check(ctx):
    plan = ctx.plan
    if plan is None:
        return
    for argument in plan.arguments:
        if argument.name == "precision":
            continue
        fallback = ctx.model_key("fp8") if argument.name.startswith(("fp8", "first_last", "num_layers")) else None
        code = f"{argument.name}={_code(argument.value)}"
        yield ctx.at_origin(
            argument.origin,
            f"this config ran with {code}, which is not the NeMo {plan.target} default: "
            f"write MegatronMixedPrecision({code}) explicitly when migrating",
            fallback,
        )


RULE = Rule(
    code="NMP120",
    name="nemo2-default-differs",
    severity="info",
    kind="legacy",
    summary="A NeMo 2.0 default differs from the value this config effectively uses",
    explanation=(
        "Copying only the keys a NeMo 1.0 config writes is not enough: many NeMo 1.0 code defaults differ "
        "from `nl.MegatronMixedPrecision`'s (e.g. the legacy FP8 path uses amax history 1024 with 'max', "
        "NeMo 2.0 defaults to 1 and 'most_recent'; fp16 pipelines communicate in fp16, NeMo 2.0 in fp32). "
        "Each report names the argument to write so the migrated run keeps the same numerics. "
        "`nemo-migrate convert` writes them for you."
    ),
    bad=(
        "trainer:\n  precision: bf16\nmodel:\n  mcore_gpt: False\n  transformer_engine: True\n  fp8: True\n"
        "  fp8_hybrid: True\n  fp8_amax_history_len: 1024\n"
    ),
    good=(
        "trainer:\n  precision: 32\n  gradient_clip_val: 1.0\nmodel:\n  megatron_amp_O2: False\n"
    ),
    bad_at=((6, 3), (7, 3), (8, 3)),
    check=check,
)

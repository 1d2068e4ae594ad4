"""NMP306: `fp4` and `fp8` both set on the plugin or the Bridge config (Megatron-core raises)."""

from __future__ import annotations

from migrate.lint.python_targets import is_not_literal
from migrate.lint.rule import Rule


def _set(call, name: str) -> bool:
    value = call.kwargs.get(name)
    return value is not None and not is_not_literal(value)


def check(ctx):
    for call in ctx.all_calls:
        if call.name in ("MegatronMixedPrecision", "MixedPrecisionConfig") and _set(call, "fp4") and _set(call, "fp8"):
            yield ctx.at_keyword(
                call, "fp4",
                "fp4 and fp8 are both set: Megatron-core's TransformerConfig raises ValueError (FP4 and FP8 "
                "cannot be used together); keep one of them",
            )


RULE = Rule(
    code="NMP306",
    name="fp4-with-fp8",
    severity="error",
    kind="python",
    summary="NVFP4 (`fp4`) and FP8 (`fp8`) requested together",
    explanation=(
        "NeMo 2.6/2.7 `nl.MegatronMixedPrecision` and Megatron Bridge's `MixedPrecisionConfig` pass `fp4` and "
        "`fp8` on to Megatron-core, whose `TransformerConfig.__post_init__` raises ValueError when both are "
        "set (megatron-core 0.15 and later); Bridge's `finalize()` already refuses the pair. A run trains "
        "either NVFP4 or FP8 GEMMs, never both. A NeMo 1.0 config never asked for FP4: a migrated script "
        "that sets it trains differently from the legacy run."
    ),
    bad=(
        "from nemo import lightning as nl\n\nplugin = nl.MegatronMixedPrecision(\n"
        "    precision=\"bf16-mixed\",\n    fp8=\"hybrid\",\n    fp4=\"e2m1\",\n)\n"
    ),
    good=(
        "from nemo import lightning as nl\n\nplugin = nl.MegatronMixedPrecision(\n"
        "    precision=\"bf16-mixed\",\n    fp8=\"hybrid\",\n)\n"
    ),
    bad_at=((6, 5),),
    check=check,
)

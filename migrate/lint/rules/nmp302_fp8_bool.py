"""NMP302: `fp8=True` where the FP8 format string is required."""

from __future__ import annotations

from migrate.lint.rule import Rule


def check(ctx):
    for call in ctx.all_calls:
        if call.name in ("MegatronMixedPrecision", "MixedPrecisionConfig") and call.kwargs.get("fp8") is True:
            yield ctx.at_argument_value(
                call, "fp8",
                "fp8 must be the format string 'hybrid' or 'e4m3', not True: Megatron-core's get_fp8_recipe "
                "raises ValueError for a bool",
            )


RULE = Rule(
    code="NMP302",
    name="fp8-bool",
    severity="error",
    kind="python",
    summary="`fp8=True` instead of `fp8='hybrid'` or `fp8='e4m3'`",
    explanation=(
        "In NeMo 1.0 `fp8` was a boolean and the format came from `fp8_e4m3`/`fp8_hybrid`. In NeMo 2.0 and "
        "Megatron Bridge `fp8` is the format itself (None disables FP8). A bool is passed on to "
        "Megatron-core, whose FP8 recipe construction accepts only the format names and raises."
    ),
    bad="import nemo.lightning as nl\n\nplugin = nl.MegatronMixedPrecision(precision=\"bf16-mixed\", fp8=True)\n",
    good="import nemo.lightning as nl\n\nplugin = nl.MegatronMixedPrecision(precision=\"bf16-mixed\", fp8=\"hybrid\")\n",
    bad_at=((3, 64),),
    check=check,
)

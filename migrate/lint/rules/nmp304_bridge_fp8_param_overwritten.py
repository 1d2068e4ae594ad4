"""NMP304: Bridge `MixedPrecisionConfig(fp8_param=True)` without `fp8_param_gather=True` (overwritten)."""

from __future__ import annotations

from migrate.lint.rule import Rule


def check(ctx):
    for call in ctx.calls("MixedPrecisionConfig"):
        if call.kwargs.get("fp8_param") is True and call.kwargs.get("fp8_param_gather") is not True:
            yield ctx.at_keyword(
                call, "fp8_param",
                "fp8_param=True is overwritten by fp8_param_gather (default False) when the dataclass is "
                "built, so the weights are not kept in FP8: pass fp8_param_gather=True instead",
            )


RULE = Rule(
    code="NMP304",
    name="bridge-fp8-param-overwritten",
    severity="warning",
    kind="python",
    summary="`fp8_param=True` alone is silently reset to False",
    explanation=(
        "Megatron Bridge's `MixedPrecisionConfig.__setattr__` mirrors `fp8_param_gather` into `fp8_param`. "
        "The dataclass constructor assigns `fp8_param` first and `fp8_param_gather` second, so the "
        "constructor value of `fp8_param` is always overwritten: `MixedPrecisionConfig(fp8_param=True)` has "
        "`fp8_param == False`. Pass `fp8_param_gather=True`, which sets both."
    ),
    bad=(
        "from megatron.bridge.training.mixed_precision import MixedPrecisionConfig\n\n"
        "config = MixedPrecisionConfig(bf16=True, fp8=\"hybrid\", fp8_param=True)\n"
    ),
    good=(
        "from megatron.bridge.training.mixed_precision import MixedPrecisionConfig\n\n"
        "config = MixedPrecisionConfig(bf16=True, fp8=\"hybrid\", fp8_param_gather=True)\n"
    ),
    bad_at=((3, 56),),
    check=check,
)

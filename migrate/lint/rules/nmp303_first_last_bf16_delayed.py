"""NMP303: `first_last_layers_bf16=True` with delayed scaling (Megatron-core raises)."""

from __future__ import annotations

from migrate.lint.python_targets import DEFAULT_FP8_RECIPE
from migrate.lint.rule import Rule


def check(ctx):
    for call in ctx.all_calls:
        if call.name not in DEFAULT_FP8_RECIPE or call.kwargs.get("first_last_layers_bf16") is not True:
            continue
        if call.kwargs.get("fp8") is None:
            continue
        recipe = call.kwargs.get("fp8_recipe", DEFAULT_FP8_RECIPE[call.name])
        if recipe == "delayed":
            implied = "" if "fp8_recipe" in call.kwargs else f" ({call.name}'s default fp8_recipe)"
            yield ctx.at_keyword(
                call, "first_last_layers_bf16",
                f"first_last_layers_bf16=True with fp8_recipe 'delayed'{implied}: Megatron-core raises "
                "ValueError; use fp8_recipe='tensorwise' or drop first_last_layers_bf16",
            )


RULE = Rule(
    code="NMP303",
    name="first-last-bf16-with-delayed-scaling",
    severity="error",
    kind="python",
    summary="Keeping the first/last layers in bf16 is not supported with delayed scaling",
    explanation=(
        "Megatron-core's `TransformerConfig.__post_init__` raises ValueError when `first_last_layers_bf16` "
        "is combined with `fp8_recipe='delayed'`. `nl.MegatronMixedPrecision` defaults `fp8_recipe` to "
        "'delayed', so passing only `first_last_layers_bf16=True` fails; Megatron Bridge's "
        "`MixedPrecisionConfig` defaults to 'tensorwise'."
    ),
    bad=(
        "from nemo import lightning as nl\n\nplugin = nl.MegatronMixedPrecision(\n    precision=\"bf16-mixed\",\n"
        "    fp8=\"hybrid\",\n    first_last_layers_bf16=True,\n)\n"
    ),
    good=(
        "from nemo import lightning as nl\n\nplugin = nl.MegatronMixedPrecision(\n    precision=\"bf16-mixed\",\n"
        "    fp8=\"hybrid\",\n    fp8_recipe=\"tensorwise\",\n    first_last_layers_bf16=True,\n)\n"
    ),
    bad_at=((6, 5),),
    check=check,
)

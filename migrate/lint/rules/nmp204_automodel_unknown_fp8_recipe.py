"""NMP204: an AutoModel `fp8.recipe_name` torchao does not know."""

from __future__ import annotations

from migrate.legacy.values import did_you_mean
from migrate.lint.rule import Rule

RECIPES = ("tensorwise", "rowwise", "rowwise_with_gw_hp")


def check(ctx):
    name = ctx.lookup("fp8.recipe_name")
    if name is None or name in RECIPES:
        return
    yield ctx.at_value(
        "fp8.recipe_name",
        f"fp8.recipe_name {name!r} is not one of {', '.join(RECIPES)}{did_you_mean(name, RECIPES)}",
    )


RULE = Rule(
    code="NMP204",
    name="automodel-unknown-fp8-recipe",
    severity="error",
    kind="automodel",
    summary="Unknown torchao FP8 recipe name",
    explanation=(
        "AutoModel passes `fp8.recipe_name` (other than null or 'tensorwise') to torchao's "
        "`Float8LinearConfig.from_recipe_name`, which knows 'tensorwise', 'rowwise' and "
        "'rowwise_with_gw_hp'. AutoModel catches exceptions during FP8 conversion and continues with the "
        "unconverted model, so a misspelt recipe can mean a silent bf16 run."
    ),
    bad=(
        "model:\n  _target_: nemo_automodel.NeMoAutoModelForCausalLM.from_pretrained\ncompile:\n  enabled: true\n"
        "fp8:\n  enabled: true\n  recipe_name: row_wise\n"
    ),
    good=(
        "model:\n  _target_: nemo_automodel.NeMoAutoModelForCausalLM.from_pretrained\ncompile:\n  enabled: true\n"
        "fp8:\n  enabled: true\n  recipe_name: rowwise\n"
    ),
    bad_at=((7, 16),),
    check=check,
)

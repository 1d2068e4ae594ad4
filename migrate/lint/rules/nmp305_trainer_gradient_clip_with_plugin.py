"""NMP305: `nl.Trainer(gradient_clip_val=...)` together with `MegatronMixedPrecision`."""

from __future__ import annotations

from migrate.lint.python_targets import is_not_literal
from migrate.lint.rule import Rule


def check(ctx):
    if not ctx.calls("MegatronMixedPrecision"):
        return
    for call in ctx.calls("Trainer"):
        value = call.kwargs.get("gradient_clip_val")
        clips = is_not_literal(value) or (isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0)
        if "gradient_clip_val" in call.kwargs and clips:
            yield ctx.at_keyword(
                call, "gradient_clip_val",
                "gradient_clip_val on nl.Trainer with MegatronMixedPrecision reaches the plugin's clip_gradients, "
                "which raises 'Gradient clipping is handled in Mcore's optimizer': set OptimizerConfig(clip_grad=...) "
                "instead",
            )


RULE = Rule(
    code="NMP305",
    name="trainer-gradient-clip-with-plugin",
    severity="error",
    kind="python",
    summary="Gradient clipping belongs in the optimizer config, not on `nl.Trainer`",
    explanation=(
        "With `MegatronMixedPrecision`, Lightning routes `gradient_clip_val` to the plugin's "
        "`clip_gradients`, which raises ValueError: Megatron-core clips inside its optimizer "
        "(`OptimizerConfig.clip_grad`, default 1.0). Remove `gradient_clip_val` from the trainer and set "
        "`clip_grad` on the optimizer config. (Established by reading the NeMo and Lightning code, not yet "
        "by running it.)"
    ),
    bad=(
        "from nemo import lightning as nl\n\nplugin = nl.MegatronMixedPrecision(precision=\"bf16-mixed\")\n"
        "trainer = nl.Trainer(plugins=plugin, gradient_clip_val=1.0)\n"
    ),
    good=(
        "from nemo import lightning as nl\n\nplugin = nl.MegatronMixedPrecision(precision=\"bf16-mixed\")\n"
        "trainer = nl.Trainer(plugins=plugin)\n"
    ),
    bad_at=((4, 38),),
    check=check,
)

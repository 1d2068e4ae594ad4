"""NMP202: AutoModel FP8 without torch.compile gives no speed-up."""

from __future__ import annotations

from migrate.lint.rule import Rule


def check(ctx):
    if ctx.lookup("fp8.enabled") is True and ctx.lookup("compile.enabled") is not True:
        yield ctx.at_key(
            "fp8.enabled",
            "fp8.enabled without compile.enabled: torchao's FP8 linears are only faster under torch.compile; "
            "eager FP8 is slower than bf16",
        )


RULE = Rule(
    code="NMP202",
    name="automodel-fp8-without-compile",
    severity="warning",
    kind="automodel",
    summary="FP8 is enabled but `torch.compile` is not",
    explanation=(
        "AutoModel's `fp8:` block converts `nn.Linear` layers with torchao's `convert_to_float8_training`. "
        "Without `torch.compile` the casts and scaling run as separate eager kernels and the step is slower "
        "than bf16; the AutoModel FP8 guide calls compile essential for any FP8 speed-up. Add "
        "`compile: {enabled: true}`."
    ),
    bad=(
        "model:\n  _target_: nemo_automodel.NeMoAutoModelForCausalLM.from_pretrained\nfp8:\n  enabled: true\n"
        "  recipe_name: tensorwise\n"
    ),
    good=(
        "model:\n  _target_: nemo_automodel.NeMoAutoModelForCausalLM.from_pretrained\ncompile:\n  enabled: true\n"
        "fp8:\n  enabled: true\n  recipe_name: tensorwise\n"
    ),
    bad_at=((4, 3),),
    check=check,
)

"""NMP203: AutoModel FP8 with a stated linear dimension not divisible by 16."""

from __future__ import annotations

from migrate.lint.rule import Rule

DIMENSION_KEYS = ("hidden_size", "intermediate_size", "moe_intermediate_size", "ffn_hidden_size", "head_dim", "vocab_size")


def _dimensions(node, prefix):
    if isinstance(node, dict):
        for key, value in node.items():
            dotted = f"{prefix}.{key}"
            if key in DIMENSION_KEYS and isinstance(value, int) and not isinstance(value, bool):
                yield dotted, key, value
            else:
                yield from _dimensions(value, dotted)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _dimensions(item, f"{prefix}.{index}")


def check(ctx):
    if ctx.lookup("fp8.enabled") is not True:
        return
    for dotted, key, value in _dimensions(ctx.lookup("model"), "model"):
        if value % 16:
            yield ctx.at_value(
                dotted,
                f"{key}: {value} is not divisible by 16: torchao FP8 skips every nn.Linear with such a "
                "dimension, so those layers silently stay in bf16",
            )


RULE = Rule(
    code="NMP203",
    name="automodel-fp8-dims-not-divisible",
    severity="warning",
    kind="automodel",
    summary="A linear dimension not divisible by 16 keeps layers out of FP8",
    explanation=(
        "AutoModel's FP8 module filter converts an `nn.Linear` only when both weight dimensions are "
        "divisible by 16; the others silently stay in bf16. When the config states model dimensions "
        "(`hidden_size`, `intermediate_size`, `vocab_size`, ...) that are not, most or all of the model may "
        "not run in FP8 at all. Pad the dimension, or list the layer in `fp8.filter_fqns` to make the "
        "exclusion explicit."
    ),
    bad=(
        "model:\n  _target_: nemo_automodel.NeMoAutoModelForCausalLM.from_config\n  config:\n"
        "    hidden_size: 1000\ncompile:\n  enabled: true\nfp8:\n  enabled: true\n"
    ),
    good=(
        "model:\n  _target_: nemo_automodel.NeMoAutoModelForCausalLM.from_config\n  config:\n"
        "    hidden_size: 1024\ncompile:\n  enabled: true\nfp8:\n  enabled: true\n"
    ),
    bad_at=((4, 18),),
    check=check,
)

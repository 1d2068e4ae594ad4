"""NMP108: `megatron_amp_O2: True` with fp32 precision (NeMo 1.0 raises)."""

from __future__ import annotations

from migrate.lint.findings import error_reports
from migrate.lint.rule import Rule


def check(ctx):
    """The spec builder decides the refusal (migrate.legacy); this rule owns its code."""
    yield from error_reports(ctx, "NMP108")


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
)

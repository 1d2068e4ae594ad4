"""NMP112: `fp8_params: True` while FP8 is off."""

from __future__ import annotations

from migrate.lint.findings import reports_for
from migrate.lint.rule import Rule


def check(ctx):
    yield from reports_for(ctx, "NMP112")


RULE = Rule(
    code="NMP112",
    name="fp8-params-without-fp8",
    severity="info",
    kind="legacy",
    summary="`fp8_params: True` has no effect on the weights while FP8 is off",
    explanation=(
        "NeMo 1.0 creates FP8 weights (`fp8_model_init`) only when `fp8 and fp8_params`. With FP8 off the "
        "weights stay in the training dtype; the distributed Adam optimizer still switches to "
        "`store_params=True`, which costs memory for nothing. Remove the key or enable FP8."
    ),
    bad="trainer:\n  precision: bf16\nmodel:\n  fp8: False\n  fp8_params: True\n",
    good="trainer:\n  precision: bf16\nmodel:\n  fp8: False\n  fp8_params: False\n",
    bad_at=((5, 3),),
    check=check,
)

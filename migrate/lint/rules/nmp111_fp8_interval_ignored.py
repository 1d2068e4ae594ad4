"""NMP111: `fp8_interval` other than 1 is ignored by Transformer Engine."""

from __future__ import annotations

from migrate.lint.findings import reports_for
from migrate.lint.rule import Rule


def check(ctx):
    """The semantics report the fact (migrate.legacy); this rule owns its code."""
    yield from reports_for(ctx, "NMP111")


RULE = Rule(
    code="NMP111",
    name="fp8-interval-ignored",
    severity="info",
    kind="legacy",
    summary="`fp8_interval` is ignored by current Transformer Engine",
    explanation=(
        "`fp8_interval` was meant to update FP8 scaling factors every N steps. Megatron-core passes it to "
        "`DelayedScaling` only for TE < 1.8 and warns otherwise, and TE 2.2 removed it; NeMo 2.0's "
        "`MegatronMixedPrecision` has no such argument. Any value other than 1 documents a behaviour that "
        "does not happen."
    ),
    bad="trainer:\n  precision: bf16\nmodel:\n  transformer_engine: True\n  fp8: True\n  fp8_hybrid: True\n  fp8_interval: 4\n",
    good="trainer:\n  precision: bf16\nmodel:\n  transformer_engine: True\n  fp8: True\n  fp8_hybrid: True\n  fp8_interval: 1\n",
    bad_at=((7, 3),),
    check=check,
)

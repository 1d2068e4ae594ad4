"""NMP122: `reduce_amax: False`, which NeMo 2.0 cannot express."""

from __future__ import annotations

from migrate.lint.findings import reports_for
from migrate.lint.rule import Rule


def check(ctx):
    yield from reports_for(ctx, "NMP122")


RULE = Rule(
    code="NMP122",
    name="reduce-amax-not-expressible",
    severity="warning",
    kind="legacy",
    summary="`reduce_amax: False` cannot be expressed in NeMo 2.0",
    explanation=(
        "On the legacy FP8 path NeMo 1.0 passes `reduce_amax` to Transformer Engine's `DelayedScaling`; "
        "False keeps each data-parallel rank's own amax. Megatron-core (NeMo 2.0) never passes it, so amax "
        "is always all-reduced and the FP8 scaling factors of a migrated run differ."
    ),
    bad=(
        "trainer:\n  precision: bf16\nmodel:\n  transformer_engine: True\n  fp8: True\n  fp8_hybrid: True\n"
        "  reduce_amax: False\n"
    ),
    good=(
        "trainer:\n  precision: bf16\nmodel:\n  transformer_engine: True\n  fp8: True\n  fp8_hybrid: True\n"
        "  reduce_amax: True\n"
    ),
    bad_at=((7, 3),),
    check=check,
)

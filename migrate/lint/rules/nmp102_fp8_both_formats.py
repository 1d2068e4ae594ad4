"""NMP102: `fp8_e4m3` and `fp8_hybrid` both true: E4M3 silently wins."""

from __future__ import annotations

from migrate.lint.findings import reports_for
from migrate.lint.rule import Rule


def check(ctx):
    """The semantics report the fact (migrate.legacy); this rule owns its code."""
    yield from reports_for(ctx, "NMP102")


RULE = Rule(
    code="NMP102",
    name="fp8-both-formats",
    severity="warning",
    kind="legacy",
    summary="Both FP8 formats are enabled; E4M3 silently wins",
    explanation=(
        "NeMo 1.0 picks the FP8 format with `if fp8_e4m3: ... elif fp8_hybrid: ...` on both code paths, "
        "so with both flags true the hybrid format (E5M2 gradients) is never used. A reader of the config "
        "cannot tell which one ran, and a migration that trusts `fp8_hybrid` would change the numerics. "
        "Set the unused flag to False."
    ),
    bad="trainer:\n  precision: bf16\nmodel:\n  transformer_engine: True\n  fp8: True\n  fp8_e4m3: True\n  fp8_hybrid: True\n",
    good="trainer:\n  precision: bf16\nmodel:\n  transformer_engine: True\n  fp8: True\n  fp8_e4m3: False\n  fp8_hybrid: True\n",
    bad_at=((7, 3),),
    check=check,
)

"""NMP100: a value NeMo 1.0 would refuse, or that cannot be evaluated, that no specific rule covers."""

from __future__ import annotations

from migrate.lint.findings import error_reports
from migrate.lint.rule import Rule


def check(ctx):
    """The spec builder decides the refusal (migrate.legacy); this rule owns its code."""
    yield from error_reports(ctx, "NMP100")


RULE = Rule(
    code="NMP100",
    name="nemo1-refuses-config",
    severity="error",
    kind="legacy",
    summary="NeMo 1.0 would refuse this precision value, or it cannot be evaluated",
    explanation=(
        "The precision settings are evaluated the way NeMo 1.0 reads them. A value of the wrong type "
        "(e.g. `fp8: 'yes'`), an unknown `fp8_recipe`, or a mandatory `???` that is never set makes NeMo 1.0 "
        "fail at start-up, and leaves the effective precision undefined, so no migration can be derived. "
        "Configs refused for a reason with its own rule (NMP101, NMP106, NMP108, NMP109, NMP110) are "
        "reported under that rule instead."
    ),
    bad="trainer:\n  precision: bf16\nmodel:\n  megatron_amp_O2: 'yes'\n",
    good="trainer:\n  precision: bf16\nmodel:\n  megatron_amp_O2: True\n",
    bad_at=((4, 3),),
    check=check,
)

"""NMP130: every other note the spec builder and the NeMo 2.0 planner record about a config."""

from __future__ import annotations

from migrate.lint.findings import reports_for
from migrate.lint.rule import Rule


def check(ctx):
    yield from reports_for(ctx, "NMP130")


RULE = Rule(
    code="NMP130",
    name="migration-note",
    severity="info",
    kind="legacy",
    summary="Something to know before migrating this config",
    explanation=(
        "The notes `nemo-migrate convert` prints that no more specific rule covers: a precision key nested "
        "where NeMo 1.0 does not read it, an `${oc.env:...}` default that was used, a key only the NeMo 1.0 "
        "code inside NeMo 2.x reads, a missing trainer section, and similar. None of them is an error."
    ),
    bad="trainer:\n  precision: bf16\nmodel:\n  megatron_amp_O2: True\n  text:\n    fp8: True\n",
    good="trainer:\n  precision: bf16\nmodel:\n  megatron_amp_O2: True\n",
    bad_at=((6, 5),),
    check=check,
)

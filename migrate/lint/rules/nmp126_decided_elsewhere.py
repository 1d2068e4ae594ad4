"""NMP126: a migrated value this file does not decide on its own."""

from __future__ import annotations

from migrate.lint.findings import reports_for
from migrate.lint.rule import Rule


def check(ctx):
    yield from reports_for(ctx, "NMP126")


RULE = Rule(
    code="NMP126",
    name="decided-elsewhere",
    severity="warning",
    kind="legacy",
    summary="A migrated value depends on something outside this file",
    explanation=(
        "Some values the legacy run used are not decided by the YAML alone, so the migration rests on an "
        "assumption that this rule names: an `${oc.env:NAME,default}` whose variable was not given with "
        "`--env` (the written default is used); gradient clipping of a file without a trainer section, or of "
        "a NeMo-Aligner algorithm section without `gradient_clip_val` (given at launch); the model dtype of "
        "a NeMo-Aligner DPO/KTO/SPIN run without `model.precision` (the restored checkpoint's); a benchmark "
        "harness config whose own runner reads it; and a config whose path or keys say it ran another NeMo "
        "release than the rules applied. Pass the value (`--env`, `--nemo1-version`) or check it by hand."
    ),
    bad="trainer:\n  precision: ${oc.env:PRECISION,bf16}\nmodel:\n  megatron_amp_O2: True\n",
    good="trainer:\n  precision: bf16\nmodel:\n  megatron_amp_O2: True\n",
    bad_at=((2, 3),),
    check=check,
)

"""NMP107: `model.precision` differs from `trainer.precision`."""

from __future__ import annotations

from migrate.lint.findings import reports_for
from migrate.lint.rule import Rule


def check(ctx):
    """The semantics report the fact (migrate.legacy); this rule owns its code."""
    yield from reports_for(ctx, "NMP107")


RULE = Rule(
    code="NMP107",
    name="model-precision-differs",
    severity="warning",
    kind="legacy",
    summary="`model.precision` and `trainer.precision` disagree",
    explanation=(
        "`MegatronBaseModel.__init__` takes the model dtype from `model.precision` when it is set, while the "
        "Lightning precision plugin (loss scaling, autocast) follows `trainer.precision`. A config where they "
        "differ runs a mixture that NeMo 2.0 cannot express: `MegatronMixedPrecision` has a single "
        "`precision`. Make them equal, or remove `model.precision` (it defaults to the trainer's)."
    ),
    bad="trainer:\n  precision: 16\nmodel:\n  precision: bf16\n",
    good="trainer:\n  precision: bf16\nmodel:\n  precision: bf16\n",
    bad_at=((4, 3),),
    check=check,
)

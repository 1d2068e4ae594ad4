"""NMP001: a `# noqa` suppression that suppresses nothing (reported by the runner)."""

from __future__ import annotations

from migrate.lint.rule import Rule


def check(ctx):
    return ()  # suppressions are matched after all rules ran: see migrate.lint.suppression


RULE = Rule(
    code="NMP001",
    name="unused-noqa",
    severity="warning",
    kind="any",
    summary="A `# noqa` comment suppresses nothing",
    explanation=(
        "A suppression that no longer matches a diagnostic hides the next real problem on that line. "
        "Remove the code from the comment, or the comment. Codes of rules that are not selected are not "
        "reported, so narrowing the selection does not make suppressions noisy. The file-level form "
        "`# nemo-migrate: noqa: CODE` is checked the same way."
    ),
    bad="trainer:\n  precision: bf16  # noqa: NMP106\nmodel:\n  megatron_amp_O2: True\n",
    good="trainer:\n  precision: bf16-true  # noqa: NMP106\nmodel:\n  megatron_amp_O2: True\n",
    bad_at=((2, 20),),
    check=check,
)

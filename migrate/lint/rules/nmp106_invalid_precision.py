"""NMP106: a precision value NeMo 1.0 rejects (`bf16-true`, 64, typos)."""

from __future__ import annotations

from migrate.lint.findings import error_reports
from migrate.lint.rule import Rule


def check(ctx):
    """The spec builder decides the refusal (migrate.legacy); this rule owns its code."""
    yield from error_reports(ctx, "NMP106")


RULE = Rule(
    code="NMP106",
    name="invalid-precision",
    severity="error",
    kind="legacy",
    summary="A precision value NeMo 1.0 does not accept",
    explanation=(
        "NeMo 1.0's `torch_dtype_from_precision` accepts exactly 16, '16', '16-mixed', 'bf16', 'bf16-mixed', "
        "32, '32' and '32-true'. PyTorch Lightning accepts more ('bf16-true', 64), but NeMo then raises "
        "while building the model; a typo such as 'bf61' fails the same way. NeMo 2.0's plugin is worse: an "
        "unknown string silently trains in fp32. Use one of the accepted values."
    ),
    bad="trainer:\n  precision: bf16-true\nmodel:\n  megatron_amp_O2: True\n",
    good="trainer:\n  precision: bf16\nmodel:\n  megatron_amp_O2: True\n",
    bad_at=((2, 3),),
    check=check,
)

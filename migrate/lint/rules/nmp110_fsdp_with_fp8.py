"""NMP110: PyTorch FSDP together with FP8 (NeMo 1.0 raises)."""

from __future__ import annotations

from migrate.lint.findings import error_reports
from migrate.lint.rule import Rule


def check(ctx):
    """The spec builder decides the refusal (migrate.legacy); this rule owns its code."""
    yield from error_reports(ctx, "NMP110")


RULE = Rule(
    code="NMP110",
    name="fsdp-with-fp8",
    severity="error",
    kind="legacy",
    summary="PyTorch FSDP cannot be combined with FP8 in NeMo 1.0",
    explanation=(
        "`MegatronBaseModel._validate_and_override_config` raises `ValueError('Torch FSDP does not support "
        "FP8.')` when both `fsdp` and `fp8` are true, so the job never starts. Use tensor/pipeline "
        "parallelism with the distributed optimizer for FP8, or turn FP8 off."
    ),
    bad="trainer:\n  precision: bf16\nmodel:\n  fsdp: True\n  fp8: True\n  fp8_hybrid: True\n",
    good="trainer:\n  precision: bf16\nmodel:\n  fsdp: False\n  fp8: True\n  fp8_hybrid: True\n",
    bad_at=((4, 3),),
    check=check,
)

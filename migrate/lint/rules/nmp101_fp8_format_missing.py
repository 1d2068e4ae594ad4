"""NMP101: `fp8: True` with neither `fp8_e4m3` nor `fp8_hybrid` (NeMo 1.0 raises)."""

from __future__ import annotations

from migrate.lint.findings import error_reports
from migrate.lint.rule import Rule


def check(ctx):
    """The spec builder decides the refusal (migrate.legacy); this rule owns its code."""
    yield from error_reports(ctx, "NMP101")


RULE = Rule(
    code="NMP101",
    name="fp8-format-missing",
    severity="error",
    kind="legacy",
    summary="FP8 is enabled but no FP8 format is chosen",
    explanation=(
        "NeMo 1.0 builds its FP8 recipe from `fp8_e4m3` or `fp8_hybrid`. With `fp8: True` and neither "
        "set, `MegatronGPTModel.build_transformer_config` raises `ValueError('fp8 enabled but fp8_format "
        "(fp8_e4m3 | fp8_hybrid) is not set.')` on both the legacy and the mcore path, so the job never "
        "starts. Choose `fp8_hybrid: True` (E4M3 forward, E5M2 gradients: the usual training choice) or "
        "`fp8_e4m3: True`."
    ),
    bad="trainer:\n  precision: bf16\nmodel:\n  transformer_engine: True\n  fp8: True\n  fp8_e4m3: False\n  fp8_hybrid: False\n",
    good="trainer:\n  precision: bf16\nmodel:\n  transformer_engine: True\n  fp8: True\n  fp8_e4m3: False\n  fp8_hybrid: True\n",
    bad_at=((5, 3),),
    check=check,
)

"""Approximate comparison for targets that cannot reproduce the legacy FP8 recipe (AutoModel).

AutoModel's FP8 is torchao's dynamic scaling, so Transformer Engine's delayed-scaling settings have
no counterpart: those rows are reported as "approximate" (expected to differ, documented, not a
migration error, and never called equivalent). FP8 switched on or off, dtypes and loss scaling are
still compared strictly. Settings the target has no way to express are "n/a".
"""

from __future__ import annotations

from dataclasses import replace

from migrate.verify.effective import Effective
from migrate.verify.structural import DIFFERS, LIMITATION, NOT_APPLICABLE, StructuralResult, compare

APPROXIMATE = "approximate"

# Rows that describe the FP8 recipe itself: TE delayed scaling vs torchao dynamic scaling.
RECIPE_ROWS = ("fp8_format", "recipe_class", "margin", "amax_history_len", "amax_compute_algo", "reduce_amax", "fp8_mha")
NOT_EXPRESSIBLE = {"pipeline_dtype": "AutoModel has no pipeline p2p dtype setting"}
# fp16 loss scaling: AutoModel's FSDP2 recipes build no GradScaler; convert reports it as automodel-fp16.
LOSS_ROWS = ("loss_scaler", "initial_loss_scale", "loss_scale_window", "hysteresis", "min_loss_scale", "loss_scale_applied")
NO_SCALER = "AutoModel's FSDP2 recipes set no loss scaler: fp16 gradients may underflow (convert warns: automodel-fp16)"
RECIPE_NOTE = (
    "torchao dynamic scaling replaces Transformer Engine's recipe: compared numerically against a "
    "no-FP8 reference instead (approximate, never bitwise)"
)


def compare_approximate(legacy: Effective, migrated: Effective) -> StructuralResult:
    result = compare(legacy, migrated)
    both_fp8 = legacy.fp8_active and migrated.fp8_active
    rows = []
    for row in result.rows:
        if row.key in NOT_EXPRESSIBLE and row.status == DIFFERS:
            row = replace(row, status=NOT_APPLICABLE)
        elif row.key in LOSS_ROWS and row.status in (DIFFERS, LIMITATION) and migrated.value("loss_scaler") == "none":
            row = replace(row, status=LIMITATION, note=NO_SCALER, code="automodel-fp16")
        elif both_fp8 and row.key in RECIPE_ROWS and row.status == DIFFERS:
            row = replace(row, status=APPROXIMATE, note=RECIPE_NOTE if row.key == "recipe_class" else "")
        rows.append(row)
    return StructuralResult(tuple(rows), result.errors)

"""Structural check: every effective setting of both sides side by side, equal or not, and why.

A row is "equal", "differs" (the migration changed the setting: not equivalent), "limitation"
(NeMo 2.0 has no way to express the legacy value; `convert` reports it as a warning, and it does
not count against the migration unless --strict), or "n/a" (the setting has no effect on either side).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrate.verify.effective import ROWS, Effective, Entry

EQUAL, DIFFERS, LIMITATION, NOT_APPLICABLE = "equal", "differs", "limitation", "n/a"


@dataclass(frozen=True)
class RowResult:
    key: str
    label: str
    legacy: Any
    migrated: Any
    status: str
    legacy_why: str
    migrated_why: str
    note: str = ""


@dataclass(frozen=True)
class StructuralResult:
    rows: tuple[RowResult, ...]
    errors: tuple[str, ...]  # what the NeMo 2.0 side would raise

    @property
    def differences(self) -> tuple[RowResult, ...]:
        return tuple(row for row in self.rows if row.status == DIFFERS)

    @property
    def limitations(self) -> tuple[RowResult, ...]:
        return tuple(row for row in self.rows if row.status == LIMITATION)

    def equivalent(self, strict: bool = False) -> bool:
        if self.errors or self.differences:
            return False
        return not (strict and self.limitations)


def _limitation(key: str, legacy: Any, migrated: Any) -> str | None:
    """Why a difference is a known NeMo 2.0 limitation rather than a migration error, or None."""
    if key == "amp_mode" and legacy == "O1" and migrated == "O2":
        return "NeMo 2.0 always trains with half weights and fp32 main params; O1 (fp32 weights + autocast) cannot be expressed"
    if key == "reduce_amax" and legacy is False and migrated is True:
        return "NeMo 2.0 always reduces amax (no argument for reduce_amax: False)"
    if key == "min_loss_scale" and legacy is None:
        return "NeMo 1.0's GradScaler has no floor; Megatron-core's DynamicGradScaler needs one"
    if key == "loss_scale_applied" and legacy is True and migrated is False:
        return "fp16 in NeMo 2.0 may train with unscaled loss but unscaled gradients (unconfirmed); check grad norms"
    return None


def _relevant(key: str, group: str, legacy: Effective, migrated: Effective) -> bool:
    if key == "fp4_format":  # a row only when a side trains in FP4 (NeMo 1.x never does)
        return legacy.value(key) is not None or migrated.value(key) is not None
    if group == "dtype":
        return True
    if key == "fp8_format":
        return True
    if group in ("fp8", "delayed", "layers"):
        return legacy.fp8_active or migrated.fp8_active
    if group == "loss":
        return key == "loss_scaler" or legacy.loss_scaled or migrated.loss_scaled
    return True


def compare(legacy: Effective, migrated: Effective) -> StructuralResult:
    rows = []
    for row in ROWS:
        if not _relevant(row.key, row.group, legacy, migrated):
            continue
        a = legacy.entries.get(row.key)
        b = migrated.entries.get(row.key)
        if a is None and b is None:
            continue
        a = a or Entry(None, "not used on this side")
        b = b or Entry(None, "not used on this side")
        note = ""
        if _same(a.value, b.value):
            status = EQUAL
        elif a.value is None and row.group == "layers":
            status = NOT_APPLICABLE
        else:
            reason = _limitation(row.key, a.value, b.value)
            status, note = (LIMITATION, reason) if reason else (DIFFERS, "")
        if row.key == "fp8_wgrad" and status == DIFFERS:
            note = "Transformer Engine >= 2.0 ignores override_linear_precision, so this changes nothing on TE 2.x"
        rows.append(RowResult(row.key, row.label, a.value, b.value, status, a.why, b.why, note))
    return StructuralResult(tuple(rows), migrated.errors)


def _same(a: Any, b: Any) -> bool:
    """Equal values; a bool never equals a number (True is not 1 here)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b

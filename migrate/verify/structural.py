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
    code: str = ""  # for a limitation: the finding code `convert` reports it with


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


# Known limitations: (row, legacy value, migrated value) -> the finding code `convert` reports for it and why.
# A legacy or migrated value of ANY matches every value.
ANY = object()
LIMITATIONS: tuple[tuple[str, Any, Any, str, str], ...] = (
    ("amp_mode", "O1", "O2", "o1-autocast",
     "NeMo 2.0 always trains with half weights and fp32 main params; O1 (fp32 weights + autocast) cannot be expressed"),
    ("reduce_amax", False, True, "reduce-amax-false", "NeMo 2.0 always reduces amax (no argument for reduce_amax: False)"),
    ("min_loss_scale", None, ANY, "loss-scale-floor", "NeMo 1.0's GradScaler has no floor; Megatron-core's DynamicGradScaler needs one"),
    ("loss_scale_applied", True, False, "fp16-loss-scaling",
     "fp16 in NeMo 2.0 may train with unscaled loss but unscaled gradients (unconfirmed); check grad norms"),
    ("loss_scaler", "none", "constant", "no-loss-scaler",
     "the legacy fp16 run had no loss scaler; a constant scale of 1 is the closest setting, and Megatron-core still "
     "skips steps with inf/nan gradients"),
    ("initial_loss_scale", None, 1.0, "no-loss-scaler", "the constant scale 1 that stands in for no loss scaler"),
    ("loss_scale_applied", None, ANY, "no-loss-scaler",
     "the constant scale 1 that stands in for no loss scaler (applied or not, a scale of 1 leaves the gradients unchanged)"),
)


def _limitation(key: str, legacy: Any, migrated: Any) -> tuple[str, str] | None:
    """(finding code, why) when a difference is a known target limitation rather than a migration error."""
    for row, old, new, code, why in LIMITATIONS:
        if row == key and (old is ANY or _same(old, legacy)) and (new is ANY or _same(new, migrated)):
            return code, why
    return None


def _fp32_params_half_reduce(key: str, legacy_value: Any, migrated_value: Any, legacy: Effective) -> tuple[str, str] | None:
    """Distributed Adam reducing fp32 parameters' gradients in bf16/fp16: NeMo 2.0 and Bridge reduce either in
    fp32 or in the parameter dtype, so fp32 is the only choice (convert: grad-reduce-dtype). Only then."""
    if key == "grad_reduce_dtype" and migrated_value == "fp32" and legacy.value("params_dtype") == "fp32" and legacy_value != "fp32":
        return "grad-reduce-dtype", "the target reduces fp32 parameters' gradients in fp32 only; the legacy run reduced them in " + str(legacy_value)
    return None


def _relevant(key: str, group: str, legacy: Effective, migrated: Effective) -> bool:
    if key == "fp4_format":  # a row only when a side trains in FP4 (NeMo 1.x never does)
        return legacy.value(key) is not None or migrated.value(key) is not None
    if group == "context":  # how the legacy run was built: shown, never compared
        return legacy.value(key) is not None
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
        note, code = "", ""
        if row.group == "context":
            status = NOT_APPLICABLE
        elif _same(a.value, b.value):
            status = EQUAL
        elif a.value is None and row.group == "layers":
            status = NOT_APPLICABLE
        elif row.key == "pipeline_dtype" and b.value is None:
            # no pipeline dtype (a trainer precision flag without MegatronMixedPrecision): Megatron-core refuses
            # pipeline parallelism instead of sending activations in another dtype
            status, note = NOT_APPLICABLE, "without pipeline parallelism the p2p dtype is unused; with it the run refuses to start"
        else:
            known = _limitation(row.key, a.value, b.value) or _fp32_params_half_reduce(row.key, a.value, b.value, legacy)
            status, note, code = (LIMITATION, known[1], known[0]) if known else (DIFFERS, "", "")
        if row.key == "fp8_wgrad" and status == DIFFERS:
            note = "Transformer Engine >= 2.0 ignores override_linear_precision, so this changes nothing on TE 2.x"
        rows.append(RowResult(row.key, row.label, a.value, b.value, status, a.why, b.why, note, code))
    return StructuralResult(tuple(rows), migrated.errors)


def _same(a: Any, b: Any) -> bool:
    """Equal values; a bool never equals a number (True is not 1 here)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b

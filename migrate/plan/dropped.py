"""Legacy settings no target's precision settings can hold, decided once for every target.

Each target words its own finding (`dropped_findings` takes its messages); *whether* a setting is
dropped is a NeMo 1.0 fact (semantics notes section 5, rows 14-16) and lives here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from migrate.legacy.versions import nemo1_profile
from migrate.spec import Finding, Origin, PrecisionSpec


@dataclass(frozen=True)
class Dropped:
    """code: "fp16-lm-cross-entropy" | "grad-allreduce-chunk" | "fsdp"; value: the legacy value."""

    code: str
    value: Any
    origin: Origin


def dropped_settings(spec: PrecisionSpec) -> tuple[Dropped, ...]:
    dropped = []
    if spec.fp16_lm_cross_entropy.value and spec.code_path.value == "legacy":
        # honoured only on the legacy path; Megatron-core computes the loss in fp32
        dropped.append(Dropped("fp16-lm-cross-entropy", True, spec.fp16_lm_cross_entropy.origin))
    chunk = spec.grad_allreduce_chunk_size_mb
    distributed = spec.optimizer.value in nemo1_profile(spec.nemo1_version).distributed_optimizers
    if chunk is not None and spec.amp_mode.value == "O2" and not distributed:
        # read by MainParamsOptimizerWrapper only (O2 without distributed Adam)
        dropped.append(Dropped("grad-allreduce-chunk", chunk.value, chunk.origin))
    if spec.fsdp.value:
        dropped.append(Dropped("fsdp", True, spec.fsdp.origin))
    return tuple(dropped)


def dropped_findings(spec: PrecisionSpec, messages: Mapping[str, tuple[str, str]]) -> list[Finding]:
    """One finding per dropped setting: `messages` maps its code to (severity, template with {value})."""
    findings = []
    for item in dropped_settings(spec):
        severity, message = messages[item.code]
        if item.code == "grad-allreduce-chunk" and item.value == 125:
            severity = "info"  # the default chunk size: bucketing only changes communication
        findings.append(Finding(item.code, severity, message.format(value=item.value), item.origin))
    return findings


def clipping_changes(spec: PrecisionSpec) -> bool:
    """Megatron-core's OptimizerConfig clips at 1.0; a training config that did otherwise must say so."""
    if not spec.clipping_known:
        return False  # the file does not decide it; the spec's finding says so
    return spec.gradient_clip_val.value != 1.0 and spec.optimizer.value is not None


def number(value: float) -> int | float:
    """4294967296.0 -> 4294967296: whole numbers are written without a fraction."""
    return int(value) if float(value).is_integer() else value


def no_clipping_reason(spec: PrecisionSpec) -> str:
    """Why the legacy run did not clip: the key as written, or the Lightning default."""
    origin = spec.gradient_clip_val.origin
    if origin.key is None:
        return "trainer.gradient_clip_val unset"
    return f"{origin.key}: {origin.detail}" if origin.detail else f"{origin.key} <= 0"


def no_scaler_message(spec: PrecisionSpec, argument: str) -> str:
    """fp16 without a GradScaler in NeMo 1.0: the closest target setting, and what still differs."""
    why = spec.loss_scaling.enabled.origin.detail or "no GradScaler"
    return (
        f"the legacy fp16 run had no loss scaler ({why}). The closest setting is {argument}=1.0, a constant scale "
        "of 1, but Megatron-core then still checks every step's gradients for inf/nan and skips those steps, "
        "which the legacy run did not"
    )

"""The effective training settings of one side (legacy or migrated), as comparable plain values.

Both sides are reduced to the same rows (`ROWS`) so that the structural check is a row-by-row
comparison. Each value carries the reason it has that value (the key, argument or default that
decided it), which is what the report prints next to a difference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# FP8 recipe selector (Megatron-core `fp8_recipe`) -> Transformer Engine recipe class.
RECIPE_CLASSES = {
    "delayed": "DelayedScaling",
    "tensorwise": "Float8CurrentScaling",
    "blockwise": "Float8BlockScaling",
    "mxfp8": "MXFP8BlockScaling",
}
TE_FORMATS = {"e4m3": "E4M3", "hybrid": "HYBRID"}


@dataclass(frozen=True)
class Entry:
    """One effective value and why it is that value."""

    value: Any
    why: str


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    group: str  # "dtype", "fp8", "delayed", "layers", "loss"


ROWS: tuple[Row, ...] = (
    Row("trainer_builder", "NeMo 1.0 trainer builder", "context"),
    Row("precision_plugin", "precision plugin class", "context"),
    Row("precision", "training dtype", "dtype"),
    Row("amp_mode", "weights / autocast mode", "dtype"),
    Row("params_dtype", "params_dtype (init)", "dtype"),
    Row("pipeline_dtype", "pipeline dtype", "dtype"),
    Row("grad_reduce_dtype", "grad-reduce dtype", "dtype"),
    Row("fp4_format", "FP4 format (NVFP4)", "dtype"),  # set only by targets that can train FP4
    Row("fp8_format", "FP8 format", "fp8"),
    Row("recipe_class", "TE recipe class", "fp8"),
    Row("margin", "margin", "delayed"),
    Row("amax_history_len", "amax history length", "delayed"),
    Row("amax_compute_algo", "amax compute algo", "delayed"),
    Row("reduce_amax", "reduce amax", "delayed"),
    Row("fp8_dpa", "FP8 dot-product attention", "fp8"),
    Row("fp8_mha", "FP8 multi-head attention", "delayed"),
    Row("fp8_wgrad", "FP8 wgrad GEMM", "fp8"),
    Row("fp8_params", "FP8 weights", "fp8"),
    Row("first_last_layers_bf16", "first/last layers in bf16", "fp8"),
    Row("num_layers_at_start_in_bf16", "bf16 layers at start", "layers"),
    Row("num_layers_at_end_in_bf16", "bf16 layers at end", "layers"),
    Row("loss_scaler", "loss scaler", "loss"),
    Row("initial_loss_scale", "initial loss scale", "loss"),
    Row("loss_scale_window", "loss-scale growth interval", "loss"),
    Row("hysteresis", "hysteresis", "loss"),
    Row("min_loss_scale", "minimum loss scale", "loss"),
    Row("loss_scale_applied", "loss scaled in backward", "loss"),
)


@dataclass(frozen=True)
class Effective:
    """`entries` maps row keys to Entry; `errors` are failures the real code would raise."""

    side: str  # "legacy" | "migrated"
    entries: dict[str, Entry]
    errors: tuple[str, ...] = field(default=())
    source: str = ""

    def value(self, key: str) -> Any:
        entry = self.entries.get(key)
        return None if entry is None else entry.value

    @property
    def fp8_active(self) -> bool:
        return self.value("fp8_format") is not None and not self.errors

    @property
    def delayed(self) -> bool:
        return self.fp8_active and self.value("recipe_class") == "DelayedScaling"

    @property
    def loss_scaled(self) -> bool:
        return self.value("loss_scaler") in ("dynamic", "constant")

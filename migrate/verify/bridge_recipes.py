"""Megatron Bridge's `MixedPrecisionConfig` defaults and registered recipes, as plain data.

Written from the research notes (Bridge 0.6.2: dataclass fields section 1.1, recipes section 1.3)
separately from the emitter's own snapshot, so that a wrong default or recipe value in the emitter
shows up as a verify difference instead of being reproduced here. Both tables describe the same
Bridge release (a test checks the version and the recipe names). Dtypes are written as the
`torch.<name>` strings the libcst reader produces for `torch.bfloat16` and friends.
"""

from __future__ import annotations

from typing import Any

BRIDGE_VERSION = "0.6.2"

# field -> default, in declaration order (the order matters: see `fp8_param` in bridge_side).
DEFAULTS: tuple[tuple[str, Any], ...] = (
    ("fp32", False),
    ("fp16", False),
    ("bf16", False),
    ("params_dtype", None),
    ("pipeline_dtype", None),
    ("autocast_dtype", None),
    ("autocast_enabled", False),
    ("grad_reduce_in_fp32", True),
    ("fp8", None),
    ("fp8_recipe", "tensorwise"),
    ("first_last_layers_bf16", False),
    ("fp8_margin", 0),
    ("fp8_amax_history_len", 1),
    ("fp8_amax_compute_algo", "most_recent"),
    ("fp8_wgrad", True),
    ("fp8_dot_product_attention", False),
    ("fp8_multi_head_attention", False),
    ("fp8_param", None),
    ("fp8_param_gather", False),
    ("fp4", None),
    ("fp4_recipe", "nvfp4"),
    ("fp4_param", None),
    ("fp4_param_gather", False),
    ("loss_scale", None),
    ("initial_loss_scale", 2**32),
    ("min_loss_scale", 1.0),
    ("loss_scale_window", 1000),
    ("hysteresis", 2),
    ("num_layers_at_start_in_bf16", 0),
    ("num_layers_at_end_in_bf16", 0),
    ("reuse_grad_buf_for_mxfp8_param_ag", False),
)
FIELD_NAMES = tuple(name for name, _ in DEFAULTS)

_BF16 = {"bf16": True, "params_dtype": "torch.bfloat16", "pipeline_dtype": "torch.bfloat16",
         "autocast_enabled": False, "grad_reduce_in_fp32": True}
_FP16 = {"fp16": True, "params_dtype": "torch.half", "pipeline_dtype": "torch.half",
         "autocast_enabled": False, "grad_reduce_in_fp32": False}


def _delayed(base: dict) -> dict:
    return {**base, "fp8": "hybrid", "fp8_recipe": "delayed", "fp8_margin": 0,
            "fp8_amax_history_len": 1024, "fp8_amax_compute_algo": "max", "fp8_param_gather": True}


def _mxfp8(base: dict) -> dict:
    return {**base, "fp8": "e4m3", "fp8_recipe": "mxfp8", "fp8_param_gather": True,
            "reuse_grad_buf_for_mxfp8_param_ag": True}


def _current(base: dict, layers: int) -> dict:
    # The "current scaling" recipes keep the default fp8_recipe ("tensorwise") and never set it.
    return {**base, "fp8": "hybrid", "first_last_layers_bf16": True, "num_layers_at_start_in_bf16": layers,
            "num_layers_at_end_in_bf16": layers, "fp8_param_gather": True}


def _subchannel(base: dict) -> dict:
    return {**base, "fp8": "hybrid", "fp8_recipe": "blockwise", "fp8_param_gather": False}


_NVFP4 = {**_BF16, "fp4": "e2m1", "fp4_recipe": "nvfp4", "fp4_param_gather": True}

# registered name -> the constructor arguments the recipe function passes.
RECIPES: dict[str, dict[str, Any]] = {
    "bf16_mixed": dict(_BF16),
    "fp16_mixed": dict(_FP16),
    "bf16_with_fp8_delayed_scaling_mixed": _delayed(_BF16),
    "fp16_with_fp8_delayed_scaling_mixed": _delayed(_FP16),
    "bf16_with_mxfp8_mixed": _mxfp8(_BF16),
    "fp16_with_mxfp8_mixed": _mxfp8(_FP16),
    "bf16_with_fp8_current_scaling_mixed": _current(_BF16, 1),
    "nemotron_h_bf16_with_fp8_current_scaling_mixed": _current(_BF16, 2),
    # Despite its name this recipe is blockwise scaling.
    "nanov2_bf16_with_fp8_current_scaling_mixed": {**_current(_BF16, 2), "fp8_recipe": "blockwise"},
    "fp16_with_fp8_current_scaling_mixed": _current(_FP16, 1),
    "bf16_with_fp8_subchannel_scaling_mixed": _subchannel(_BF16),
    "fp16_with_fp8_subchannel_scaling_mixed": _subchannel(_FP16),
    "bf16_with_nvfp4_mixed": dict(_NVFP4),
    "nemotron_3_super_bf16_with_nvfp4_mixed": {**_NVFP4, "first_last_layers_bf16": True,
                                               "num_layers_at_start_in_bf16": 0, "num_layers_at_end_in_bf16": 14},
    "nemotron_3_ultra_bf16_with_nvfp4_mixed": {**_NVFP4, "first_last_layers_bf16": True,
                                               "num_layers_at_start_in_bf16": 0, "num_layers_at_end_in_bf16": 16},
}


def resolve_recipe(name: str) -> tuple[str, dict[str, Any]] | None:
    """`get_mixed_precision_config(name)`: hyphens become underscores; None for an unknown name."""
    key = name.replace("-", "_")
    return (key, RECIPES[key]) if key in RECIPES else None

"""Megatron Bridge's `MixedPrecisionConfig` fields and registered recipes, recorded from source.

Recorded for Megatron Bridge 0.6.2: src/megatron/bridge/training/mixed_precision.py of the
megatron-bridge 0.6.2 wheel (dataclass L32-75, recipes L184-442), which is NVIDIA-NeMo/Megatron-Bridge
@v0.6.0 (commit 51885cf1) plus the recipe `nemotron_3_ultra_bf16_with_nvfp4_mixed` (L432-442). The
plan checks every argument it writes against FIELDS and names a recipe only when `effective()`
of its arguments equals the recipe's exactly (no NeMo 1.0 config matches an NVFP4 recipe).
"""

from __future__ import annotations

from typing import Any

from migrate.target_api.dtype import Dtype

BRIDGE_VERSION = "0.6.2"
# Modules whose attribute `MixedPrecisionConfig` is Bridge's class.
BRIDGE_MODULES = (
    "megatron.bridge.training.mixed_precision",
    "megatron.bridge.training.config",
    "megatron.bridge.training",
)

# field -> default, in declaration order (dtype fields hold a Dtype or None)
FIELDS: dict[str, Any] = {
    "fp32": False,  # inert: no model/optimizer/DDP attribute has this name
    "fp16": False,
    "bf16": False,
    "params_dtype": None,
    "pipeline_dtype": None,
    "autocast_dtype": None,
    "autocast_enabled": False,  # inert: Megatron-core calls it enable_autocast
    "grad_reduce_in_fp32": True,
    "fp8": None,
    "fp8_recipe": "tensorwise",
    "first_last_layers_bf16": False,
    "fp8_margin": 0,
    "fp8_amax_history_len": 1,
    "fp8_amax_compute_algo": "most_recent",
    "fp8_wgrad": True,
    "fp8_dot_product_attention": False,
    "fp8_multi_head_attention": False,
    "fp8_param": None,  # always overwritten by fp8_param_gather (__setattr__ + field order)
    "fp8_param_gather": False,
    "fp4": None,
    "fp4_recipe": "nvfp4",
    "fp4_param": None,
    "fp4_param_gather": False,
    "loss_scale": None,
    "initial_loss_scale": 4294967296,
    "min_loss_scale": 1.0,
    "loss_scale_window": 1000,
    "hysteresis": 2,
    "num_layers_at_start_in_bf16": 0,
    "num_layers_at_end_in_bf16": 0,
    "reuse_grad_buf_for_mxfp8_param_ag": False,
}

FP8_FORMATS = ("e4m3", "hybrid")
FP8_RECIPES = ("tensorwise", "delayed", "mxfp8", "blockwise")
AMAX_ALGOS = ("most_recent", "max")

_BF16 = {
    "bf16": True,
    "params_dtype": Dtype("bf16"),
    "pipeline_dtype": Dtype("bf16"),
    "autocast_enabled": False,
    "grad_reduce_in_fp32": True,
}
_FP16 = {
    "fp16": True,
    "params_dtype": Dtype("fp16"),
    "pipeline_dtype": Dtype("fp16"),
    "autocast_enabled": False,
    "grad_reduce_in_fp32": False,
}
_DELAYED = {
    "fp8": "hybrid",
    "fp8_recipe": "delayed",
    "fp8_margin": 0,
    "fp8_amax_history_len": 1024,
    "fp8_amax_compute_algo": "max",
    "fp8_param_gather": True,
}
_MXFP8 = {"fp8": "e4m3", "fp8_recipe": "mxfp8", "fp8_param_gather": True, "reuse_grad_buf_for_mxfp8_param_ag": True}
_CURRENT = {
    "fp8": "hybrid",
    "fp8_recipe": "tensorwise",
    "first_last_layers_bf16": True,
    "num_layers_at_start_in_bf16": 1,
    "num_layers_at_end_in_bf16": 1,
    "fp8_param_gather": True,
}
_EDGE2 = {"num_layers_at_start_in_bf16": 2, "num_layers_at_end_in_bf16": 2}
_SUBCHANNEL = {"fp8": "hybrid", "fp8_recipe": "blockwise", "fp8_param_gather": False}
_NVFP4 = {"fp8": None, "fp4": "e2m1", "fp4_recipe": "nvfp4", "fp8_param_gather": False, "fp4_param_gather": True}

# recipe name -> the fields its factory sets (the rest keep their FIELDS default)
RECIPES: dict[str, dict[str, Any]] = {
    "bf16_mixed": _BF16,
    "fp16_mixed": _FP16,
    "bf16_with_fp8_delayed_scaling_mixed": _BF16 | _DELAYED,
    "fp16_with_fp8_delayed_scaling_mixed": _FP16 | _DELAYED,
    "bf16_with_mxfp8_mixed": _BF16 | _MXFP8,
    "fp16_with_mxfp8_mixed": _FP16 | _MXFP8,
    "bf16_with_fp8_current_scaling_mixed": _BF16 | _CURRENT,
    "nemotron_h_bf16_with_fp8_current_scaling_mixed": _BF16 | _CURRENT | _EDGE2,
    "nanov2_bf16_with_fp8_current_scaling_mixed": _BF16 | _CURRENT | _EDGE2 | {"fp8_recipe": "blockwise"},
    "fp16_with_fp8_current_scaling_mixed": _FP16 | _CURRENT,
    "bf16_with_fp8_subchannel_scaling_mixed": _BF16 | _SUBCHANNEL,
    "fp16_with_fp8_subchannel_scaling_mixed": _FP16 | _SUBCHANNEL,
    "bf16_with_nvfp4_mixed": _BF16 | _NVFP4,
    "nemotron_3_super_bf16_with_nvfp4_mixed": _BF16
    | _NVFP4
    | {"first_last_layers_bf16": True, "num_layers_at_end_in_bf16": 14},
    # new in 0.6.2: bf16_with_nvfp4_mixed with the last 16 layers (and no first layer) in bf16
    "nemotron_3_ultra_bf16_with_nvfp4_mixed": _BF16
    | _NVFP4
    | {"first_last_layers_bf16": True, "num_layers_at_start_in_bf16": 0, "num_layers_at_end_in_bf16": 16},
}


def effective(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Every field of `MixedPrecisionConfig(**kwargs)` after `finalize()`.

    Setting fp8_param_gather (last in field order) copies it into fp8_param, so a constructor's
    fp8_param never survives; the same holds for fp4_param.
    """
    unknown = set(kwargs) - set(FIELDS)
    if unknown:
        raise KeyError(f"not a MixedPrecisionConfig field: {', '.join(sorted(unknown))}")
    values = FIELDS | kwargs
    values["fp8_param"] = values["fp8_param_gather"]
    values["fp4_param"] = values["fp4_param_gather"]
    return values


def matching_recipe(kwargs: dict[str, Any]) -> str | None:
    """The registered recipe whose configuration equals `MixedPrecisionConfig(**kwargs)`, if any."""
    wanted = effective(kwargs)
    for name, fields in RECIPES.items():
        if effective(fields) == wanted:
            return name
    return None

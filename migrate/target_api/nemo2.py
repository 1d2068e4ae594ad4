"""NeMo 2.x: `nl.MegatronMixedPrecision.__init__` keyword defaults per release, and the names by
which NeMo 2.0 scripts reach the plugin, the trainer, NeMo-Run configs and NeMo recipes.

Signatures: semantics notes section 3.1 (NVIDIA/NeMo v2.0.0 .. r2.5.0:
nemo/lightning/pytorch/plugins/mixed_precision.py). 2.6 and 2.7: the nemo_toolkit 2.6.0, 2.6.2,
2.7.0 and 2.7.3 wheels hold one identical mixed_precision.py, r2.5.0's plus `fp4=None,
fp4_recipe="nvfp4"` after fp8_param_gather (no default changed). NeMo 3.0 has no such class (see
migrate.nemo_releases). An argument absent from a version's table is never emitted for that version.
"""

from __future__ import annotations

import re

REQUIRED = object()
# Modules whose attribute `MegatronMixedPrecision` is NeMo 2.0's plugin class.
PLUGIN_MODULES = (
    "nemo.lightning",
    "nemo.lightning.pytorch.plugins",
    "nemo.lightning.pytorch.plugins.mixed_precision",
)
TRAINER_MODULES = ("nemo.lightning", "nemo.lightning.pytorch.trainer")
# NeMo-Run's `run.Config(cls, ...)` / `run.Partial(cls, ...)` configure a call of `cls`.
RUN_CONFIG_NAMES = ("Config", "Partial")
# `nemo.collections.llm.<model>.pretrain_recipe` (NeMo 2.x re-exports each recipe module under
# `llm`, e.g. `llm.llama3_8b`) or `nemo.collections.llm.recipes.<model>.finetune_recipe`.
RECIPE_FUNCTION = re.compile(r"nemo\.collections\.llm\.(?:recipes\.)?\w+\.(?:pretrain|finetune)_recipe")
# nemo/collections/llm/recipes/precision/mixed_precision.py (NeMo 2.0 .. 2.5): each returns
# run.Config[MegatronMixedPrecision] with values that are not the plugin's defaults.
RECIPE_HELPERS = frozenset({
    "bf16_mixed", "fp16_mixed", "bf16_with_fp8_mixed", "fp16_with_fp8_mixed",
    "bf16_with_mxfp8_mixed", "fp16_with_mxfp8_mixed",
    "bf16_with_fp8_current_scaling_mixed", "fp16_with_fp8_current_scaling_mixed",
    "nanov2_bf16_with_fp8_current_scaling_mixed",
    "bf16_with_fp8_subchannel_scaling_mixed", "fp16_with_fp8_subchannel_scaling_mixed",
})

_V2_0 = {
    "precision": REQUIRED,
    "params_dtype": None,
    "pipeline_dtype": None,
    "autocast_dtype": None,
    "autocast_enabled": False,
    "grad_reduce_in_fp32": True,
    "fp8": None,
    "fp8_margin": 0,
    "fp8_amax_history_len": 1,
    "fp8_amax_compute_algo": "most_recent",
    "fp8_wgrad": True,
    "fp8_dot_product_attention": False,
    "fp8_multi_head_attention": False,
    "fp8_params": False,
    "fp16_loss_scale": None,
    "fp16_initial_loss_scale": 4294967296,
    "fp16_min_loss_scale": 1.0,
    "fp16_loss_scale_window": 1000,
    "fp16_hysteresis": 2,
}
_V2_3 = {k: v for k, v in _V2_0.items() if k != "fp8_params"} | {
    "fp8_recipe": "delayed",
    "first_last_layers_bf16": False,
    "num_layers_at_start_in_bf16": 0,
    "num_layers_at_end_in_bf16": 0,
    "fp8_param_gather": False,
}
_V2_4 = _V2_3 | {"fp8_params": None, "fp8_param_gather": None}  # fp8_params: deprecated alias
_V2_5 = _V2_4 | {"reuse_grad_buf_for_mxfp8_param_ag": False}
_V2_6 = _V2_5 | {"fp4": None, "fp4_recipe": "nvfp4"}  # NVFP4; NeMo 1.x had no FP4, so never emitted

SIGNATURES: dict[str, dict[str, object]] = {
    "2.0": _V2_0,
    "2.1": _V2_0,
    "2.2": _V2_0,
    "2.3": _V2_3,
    "2.4": _V2_4,
    "2.5": _V2_5,
    "2.6": _V2_6,
    "2.7": _V2_6,
}
TARGET_NEMO_CHOICES = tuple(SIGNATURES)
# The newest release that still has the NeMo 2 API (MegatronMixedPrecision, nemo.collections.llm).
DEFAULT_TARGET_NEMO = "2.7"

# `precision=` as the plugin spells each compute dtype.
PRECISION_LITERALS = {"bf16": "bf16-mixed", "fp16": "16-mixed", "fp32": "32"}
# The strings the fp8 arguments may hold (Megatron-core's formats, Fp8Recipe values, amax algorithms).
FP8_FORMATS = ("e4m3", "hybrid")
FP8_RECIPES = ("delayed", "tensorwise", "blockwise", "mxfp8")
AMAX_ALGOS = ("max", "most_recent")


def pipeline_default(compute: str) -> str:
    """The dtype MegatronMixedPrecision communicates in between pipeline stages when pipeline_dtype is
    None: bf16 for bf16, else fp32 (semantics notes section 3.2)."""
    return "bf16" if compute == "bf16" else "fp32"


def fp8_weights_argument(version: str) -> str:
    """`fp8_params` up to 2.2, `fp8_param_gather` from 2.3 (2.3 rejects fp8_params)."""
    return "fp8_param_gather" if "fp8_param_gather" in SIGNATURES[version] else "fp8_params"

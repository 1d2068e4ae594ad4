"""verify's rows, read off what the installed Megatron-core made of the configs (the facts
`installed.mcore.observe` returns for a NeMo 2.x plugin or a Bridge config). Pure, so it is unit-tested.

Each row says what the real objects hold or build:
- precision / amp_mode: TransformerConfig.fp16/bf16, whether `Float16Module` wrapped the model (it
  casts the weights to half) and which optimizer wrapper Megatron-core chose (fp32 main params
  unless `FP32Optimizer`);
- params_dtype, pipeline_dtype: the TransformerConfig fields;
- grad_reduce_dtype: fp32 when DistributedDataParallelConfig.grad_reduce_in_fp32, else the wrapped
  weights' dtype (Megatron-core `distributed_data_parallel.py`: `grad_dtype = torch.float if
  grad_reduce_in_fp32 else param.dtype`; not run: DDP allocates CUDA buffers);
- FP8 rows: the recipe class Megatron-core built and the arguments it passed, with Transformer
  Engine's own defaults for those it did not pass; a setting the recipe does not receive is None;
- loss rows: the grad scaler class and arguments the optimizer factory chose.
"""

from __future__ import annotations

from typing import Any

# verify rows the harnesses compare (every row of migrate/verify/effective.py).
ROWS = (
    "precision", "amp_mode", "params_dtype", "pipeline_dtype", "grad_reduce_dtype", "fp4_format", "fp8_format",
    "recipe_class", "margin", "amax_history_len", "amax_compute_algo", "reduce_amax", "fp8_dpa", "fp8_mha",
    "fp8_wgrad", "fp8_params", "first_last_layers_bf16", "num_layers_at_start_in_bf16", "num_layers_at_end_in_bf16",
    "loss_scaler", "initial_loss_scale", "loss_scale_window", "hysteresis", "min_loss_scale", "loss_scale_applied",
)
HALF_WRAPPERS = ("Float16OptimizerWithFloat16Params", "DistributedOptimizer")
# Transformer Engine 2.x recipe defaults for what Megatron-core may leave out: FP8 attention off, and
# no GEMM kept in high precision (only DelayedScaling takes override_linear_precision; the others
# run the wgrad GEMM in FP8 always). TransformerEngine common/recipe/__init__.py.
_ANY_RECIPE_DEFAULTS = {"fp8_dpa": False, "fp8_mha": False, "override_linear_precision": (False, False, False)}


def _float(value: Any) -> Any:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def dtype_rows(facts: dict[str, Any]) -> dict[str, Any]:
    tc, ddp, module = facts["tc"], facts["ddp"], facts["module"]
    precision = "fp16" if tc.get("fp16") else "bf16" if tc.get("bf16") else "fp32"
    wrapper = facts["scaler"].get("wrapper")
    if module["wrapped"] and module["param_dtype"] in ("fp16", "bf16") and wrapper in HALF_WRAPPERS:
        amp_mode = "O2"
    elif not module["wrapped"] and module["param_dtype"] == "fp32" and wrapper == "FP32Optimizer":
        amp_mode = "fp32"
    else:
        amp_mode = f"wrapped={module['wrapped']} weights={module['param_dtype']} optimizer={wrapper}"
    reduce = "fp32" if ddp.get("grad_reduce_in_fp32") else module["param_dtype"]
    return {"precision": precision, "amp_mode": amp_mode, "params_dtype": tc.get("params_dtype"),
            "pipeline_dtype": tc.get("pipeline_dtype"), "grad_reduce_dtype": reduce, "fp4_format": tc.get("fp4")}


def fp8_params(facts: dict[str, Any]) -> Any:
    """FP8 weights: DDP's fp8_param_gather, which must agree with TransformerConfig.fp8_param (mcore >=
    0.12) or, for NeMo 2.0-2.2, with the Transformer Engine FP8_PARAMETERS flag the plugin sets."""
    gather = bool(facts["ddp"].get("fp8_param_gather"))
    other = facts["tc"].get("fp8_param", facts.get("te_fp8_parameters"))
    if other is not None and bool(other) != gather:
        return f"inconsistent: fp8_param_gather={gather}, fp8_param={other}"
    return gather


def recipe_rows(recipe: dict[str, Any]) -> dict[str, Any]:
    """The rows a recorded Transformer Engine recipe gives: {"class", "kwargs", "defaults"} -> rows."""
    passed = {**_ANY_RECIPE_DEFAULTS, **recipe.get("defaults", {}), **recipe.get("kwargs", {})}
    delayed = recipe["class"] == "DelayedScaling"
    rows: dict[str, Any] = {"recipe_class": recipe["class"]}
    if "fp8_format" in passed:
        rows["fp8_format"] = str(passed["fp8_format"]).lower()  # the Format the recipe received
    for row in ("margin", "amax_history_len", "amax_compute_algo", "reduce_amax"):
        rows[row] = passed.get(row) if delayed else None
    rows["fp8_dpa"], rows["fp8_mha"] = passed["fp8_dpa"], passed["fp8_mha"]
    rows["fp8_wgrad"] = not passed["override_linear_precision"][2]
    return rows


def fp8_rows(facts: dict[str, Any]) -> dict[str, Any]:
    tc = facts["tc"]
    if tc.get("fp8") is None:
        return {"fp8_format": None}
    recipe = facts.get("recipe") or {}
    rows: dict[str, Any] = {"fp8_format": tc["fp8"], "recipe_class": recipe.get("class")}
    if "class" not in recipe:
        return rows
    rows.update(recipe_rows(recipe))
    rows["fp8_params"] = fp8_params(facts)
    rows["first_last_layers_bf16"] = bool(tc.get("first_last_layers_bf16", False))
    if rows["first_last_layers_bf16"]:
        rows["num_layers_at_start_in_bf16"] = tc.get("num_layers_at_start_in_bf16")
        rows["num_layers_at_end_in_bf16"] = tc.get("num_layers_at_end_in_bf16")
    return rows


def loss_rows(facts: dict[str, Any], scale_applied: bool) -> dict[str, Any]:
    """`scale_applied`: whether the stack's training loop gives Megatron-core a grad_scale_func."""
    scaler = facts["scaler"]
    if scaler.get("class") is None:
        return {"loss_scaler": "none"}
    if scaler["class"] == "ConstantGradScaler":
        scale = scaler["args"][0] if scaler.get("args") else scaler["kwargs"].get("initial_scale")
        return {"loss_scaler": "constant", "initial_loss_scale": _float(scale), "loss_scale_applied": scale_applied}
    kwargs = scaler["kwargs"]
    return {
        "loss_scaler": "dynamic",
        "initial_loss_scale": _float(kwargs.get("initial_scale")),
        "loss_scale_window": kwargs.get("growth_interval"),
        "hysteresis": kwargs.get("hysteresis"),
        "min_loss_scale": _float(kwargs.get("min_scale")),
        "loss_scale_applied": scale_applied,
    }


def mcore_rows(facts: dict[str, Any], scale_applied: bool) -> dict[str, Any]:
    return {**dtype_rows(facts), **fp8_rows(facts), **loss_rows(facts, scale_applied)}

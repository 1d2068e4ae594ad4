"""verify's legacy rows read off what NeMo 1.x built (the facts `installed.nemo1` records): pure, so
it is unit-tested without NeMo.

- precision_plugin: the class the trainer builder's `_plugins()` built ("none" without one);
- precision / params_dtype / pipeline_dtype: `MegatronBaseModel.torch_dtype` and the model parallel
  config; amp_mode: O2 when that config has fp16/bf16 set (the model would be wrapped in
  `Float16Module`), O1 when autocast is enabled;
- FP8: the recipe the legacy `ParallelTransformer` (when it builds Transformer Engine layers) or the
  release's Megatron-core (mcore path) built;
- loss rows: the builder's GradScaler, and whether the model config received a `grad_scale_func`.
"""

from __future__ import annotations

from typing import Any

from migrate.verify.installed.rows import recipe_rows

# verify rows NeMo 1.x's builders never reach (installed.nemo1): a record takes them from verify's model.
NOT_OBSERVED = ("grad_reduce_dtype", "fp8_params")


def legacy_rows(facts: dict[str, Any]) -> dict[str, tuple[Any, str]]:
    """verify's legacy rows from one answer's facts: row -> (value, what in NeMo's objects it was read from)."""
    mp = facts["model_parallel"]
    precision = facts["torch_dtype"]
    if mp["fp16"] or mp["bf16"]:
        mode = "O2"
    elif mp["enable_autocast"]:
        mode = "O1"
    else:
        mode = "fp32" if precision == "fp32" else f"{precision} without O2 or autocast"
    plugin = facts.get("plugin") or "none"
    rows: dict[str, tuple[Any, str]] = {
        "precision_plugin": (plugin, "the precision plugin the trainer builder's _plugins() built"),
        "precision": (precision, "MegatronBaseModel.torch_dtype"),
        "amp_mode": (mode, "model parallel config fp16/bf16 (O2: Float16Module) and enable_autocast (O1)"),
        "params_dtype": (mp["params_dtype"], "model parallel config params_dtype"),
        "pipeline_dtype": (mp["pipeline_dtype"], "model parallel config pipeline_dtype"),
        "fp4_format": (None, "NeMo 1.x has no FP4"),
    }
    rows.update(_fp8_rows(facts))
    rows.update(_loss_rows(facts))
    return rows


def _fp8_rows(facts: dict[str, Any]) -> dict[str, tuple[Any, str]]:
    recipe = facts.get("recipe") or {}
    if facts["mcore_gpt"]:  # NeMo 1.x builds the Transformer Engine layer spec whatever `transformer_engine` says
        active = facts["transformer_config"]["fp8"] is not None
        source = "the recipe Megatron-core's TransformerBlock builds from build_transformer_config()"
    else:  # the legacy path builds the recipe for fp8, but FP8 runs only in Transformer Engine layers
        active = "class" in recipe and bool(facts["parallel_transformer"].get("transformer_engine"))
        source = "the recipe the legacy ParallelTransformer builds"
    if not active or "class" not in recipe:
        return {"fp8_format": (None, "no FP8 recipe is built")}
    rows = {key: (value, source) for key, value in recipe_rows(recipe).items()}
    # Neither NeMo 1.x nor its Megatron-core (0.3-0.5) has first/last-layer bf16: every layer runs FP8.
    rows["first_last_layers_bf16"] = (False if not facts["has_first_last_layers_bf16"] else None,
                                      "TransformerConfig has no first_last_layers_bf16: every layer runs FP8")
    return rows


def _loss_rows(facts: dict[str, Any]) -> dict[str, tuple[Any, str]]:
    scaler = facts.get("scaler")
    if not scaler or not scaler["enabled"]:
        return {"loss_scaler": ("none", "no enabled GradScaler in the precision plugin")}
    built = "the builder's GradScaler"
    return {"loss_scaler": ("dynamic", built), "initial_loss_scale": (float(scaler["init_scale"]), built),
            "loss_scale_window": (scaler["growth_interval"], built), "hysteresis": (scaler["hysteresis"], built),
            "min_loss_scale": (scaler["min_scale"], built),
            "loss_scale_applied": (facts["grad_scale_func_set"], "model parallel config grad_scale_func is set")}

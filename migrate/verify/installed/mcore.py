"""What the installed Megatron-core makes of a TransformerConfig / OptimizerConfig /
DistributedDataParallelConfig once a NeMo plugin or a Bridge config has written onto them (shared by
verify's installed NeMo 2.x and Bridge sides and the conformance probes).

Read from the real objects: the config fields; `TransformerConfig.__post_init__` run again on the
final values (NeMo and Bridge set the fields after construction, which skips it; Megatron-core
validates there); the FP8 recipe built by the installed release's own recipe code (`fp8_utils`
from 0.12, `TransformerBlock.forward` before) against the recording Transformer Engine stand-in; the
loss scaler chosen by `_get_megatron_optimizer_based_on_param_groups` (called with no parameter
groups, which it supports for frozen ranks) with recorders for the scaler and optimizer-wrapper
classes; and the weights' dtype after `Float16Module` wraps a small `MegatronModule`.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import inspect
import types
from typing import Any, Callable
from unittest import mock

from migrate.verify.installed.source import definitions, if_block, module_source
from migrate.verify.installed.standins import Recorder, RecordingTE, error_text, jsonable, recorder

TC_FIELDS = (
    "fp16", "bf16", "params_dtype", "pipeline_dtype", "autocast_dtype", "enable_autocast", "fp8", "fp8_recipe",
    "fp8_margin", "fp8_interval", "fp8_amax_history_len", "fp8_amax_compute_algo", "fp8_wgrad",
    "fp8_dot_product_attention", "fp8_multi_head_attention", "fp8_param", "first_last_layers_bf16",
    "num_layers_at_start_in_bf16", "num_layers_at_end_in_bf16", "fp4", "fp4_recipe", "fp4_param", "tp_only_amax_red",
)
OPTIMIZER_FIELDS = (
    "fp16", "bf16", "params_dtype", "loss_scale", "initial_loss_scale", "min_loss_scale", "loss_scale_window",
    "hysteresis", "fp8_recipe", "clip_grad", "use_distributed_optimizer", "reuse_grad_buf_for_mxfp8_param_ag",
)
DDP_FIELDS = ("grad_reduce_in_fp32", "fp8_param_gather", "fp4_param_gather", "reuse_grad_buf_for_mxfp8_param_ag")
_MISSING = object()


def config_fields(config: Any, names: tuple[str, ...]) -> dict[str, Any]:
    out = {}
    for name in names:
        value = getattr(config, name, _MISSING)
        if value is not _MISSING:
            out[name] = jsonable(value)
    return out


def model_configs(tc_kwargs: dict[str, Any] | None = None):
    """Fresh Megatron-core configs as a small GPT would start with them (precision fields at their defaults)."""
    from megatron.core.distributed import DistributedDataParallelConfig
    from megatron.core.optimizer import OptimizerConfig
    from megatron.core.transformer.transformer_config import TransformerConfig

    # use_cpu_initialization only decides the `device` argument Megatron-core adds for TE modules.
    tc = TransformerConfig(num_layers=4, hidden_size=64, num_attention_heads=4, use_cpu_initialization=True,
                           **(tc_kwargs or {}))
    return tc, OptimizerConfig(), DistributedDataParallelConfig(check_for_nan_in_grad=True)


def revalidate(tc: Any) -> str | None:
    """Run TransformerConfig.__post_init__ on the final values; the error text, or None."""
    values = {f.name: getattr(tc, f.name) for f in dataclasses.fields(tc) if f.init}
    try:
        type(tc)(**values)
    except Exception as error:  # any validation failure is a result to report
        return error_text(error)
    return None


def half_module(tc: Any, wrap: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """Wrap a one-Linear MegatronModule the way training does; whether it was wrapped, and the weights' dtype."""
    import torch
    from megatron.core.transformer.module import Float16Module, MegatronModule

    inner = MegatronModule(config=tc)
    inner.linear = torch.nn.Linear(4, 4, dtype=tc.params_dtype)
    if wrap is None:
        try:
            outer = Float16Module(tc, inner)
        except Exception:
            outer = inner
    else:
        holder = torch.nn.Module()
        holder.module = inner
        outer = wrap(holder).module
    return {"wrapped": isinstance(outer, Float16Module), "param_dtype": jsonable(next(outer.parameters()).dtype)}


def _te_namespace(te: RecordingTE) -> dict[str, Any]:
    """Names Megatron-core's recipe code looks up, with Transformer Engine replaced by the stand-in."""
    import warnings

    import torch
    from megatron.core import parallel_state
    from megatron.core.model_parallel_config import ModelParallelConfig
    from megatron.core.transformer.transformer_config import TransformerConfig
    from packaging.version import Version

    namespace = {"te": te.root, "transformer_engine": te.root, "HAVE_TE": True, "torch": torch, "warnings": warnings,
                 "parallel_state": parallel_state,
                 "PkgVersion": Version, "ModelParallelConfig": ModelParallelConfig, "TransformerConfig": TransformerConfig,
                 "is_te_min_version": te.is_min_version, "get_te_version": te.get_version}
    try:  # what fp8_utils' `if HAVE_TE:` block imports besides Transformer Engine (0.12+)
        from megatron.core.enums import Fp8Recipe

        namespace["Fp8Recipe"] = Fp8Recipe
    except ImportError:
        pass
    extensions = module_source("megatron.core.extensions.transformer_engine")
    return definitions(extensions, ["_get_extra_te_kwargs", "TEDelayedScaling"], namespace)


def fp8_recipe(tc: Any, te_version: str) -> dict[str, Any]:
    """The recipe this Megatron-core builds for `tc`: {"class", "kwargs"} or {"error"}."""
    te = RecordingTE(te_version)
    try:
        recipe = _build_recipe(tc, te, _te_namespace(te))
    except Exception as error:
        return {"error": error_text(error)}
    if recipe is None:
        return {"error": "no recipe was built"}
    kwargs = dict(recipe.kwargs)
    return {"class": recipe.name, "kwargs": jsonable(kwargs), "defaults": jsonable(getattr(recipe, "defaults", {}))}


def _build_recipe(tc: Any, te: RecordingTE, te_names: dict[str, Any]) -> Recorder | None:
    """Megatron-core modules are imported before the stand-in is registered, so they keep seeing no
    Transformer Engine; only the recipe code runs while `import transformer_engine` finds it."""
    from megatron.core.transformer import transformer_block

    source = module_source("megatron.core.fp8_utils") if importlib.util.find_spec("megatron.core.fp8_utils") else None
    text = source.read_text(encoding="utf-8") if source else ""
    if "def get_fp8_context" in text:
        from megatron.core import fp8_utils

        namespace = {**vars(fp8_utils), **te_names}
        has_recipe_function = "def get_fp8_recipe" in text
        definitions(source, ["get_fp8_recipe", "get_fp8_context"] if has_recipe_function else ["get_fp8_context"], namespace)
        with te.installed():
            if has_recipe_function:  # Megatron-core >= 0.14
                return namespace["get_fp8_recipe"](tc)
            namespace["get_fp8_context"](tc, -1, False)  # 0.12-0.13: the recipe goes straight into fp8_autocast
        return te.autocast_calls[-1]["fp8_recipe"] if te.autocast_calls else None
    # Megatron-core <= 0.11: built in TransformerBlock.forward under `if self.config.fp8:`.
    code = if_block(module_source("megatron.core.transformer.transformer_block"), "forward", "self.config.fp8")
    block = types.SimpleNamespace(config=tc, tp_only_amax_red=getattr(tc, "tp_only_amax_red", False))
    namespace = {**vars(transformer_block), **te_names, "self": block}
    with te.installed():
        exec(code, namespace)
    return namespace.get("fp8_recipe")


def loss_scaler(optimizer_config: Any) -> dict[str, Any]:
    """The grad scaler Megatron-core's optimizer factory picks: {"class", "kwargs", "wrapper"}."""
    from megatron.core import optimizer as factory

    # The inner torch optimizer is a recorder too: before 0.14 it is built ahead of the scaler choice,
    # and torch refuses an empty parameter list.
    names = ("ConstantGradScaler", "DynamicGradScaler", "Float16OptimizerWithFloat16Params", "DistributedOptimizer",
             "FP32Optimizer", "Adam", "SGD")
    recorders = {name: recorder(name) for name in names if hasattr(factory, name)}
    choose = factory._get_megatron_optimizer_based_on_param_groups
    extra = {}
    if "pg_collection" in inspect.signature(choose).parameters:
        # 0.16+: afterwards it attaches the tensor-parallel group of `pg_collection` to the result;
        # a collection naming none keeps it from asking the (uninitialised) parallel state.
        extra["pg_collection"] = types.SimpleNamespace(tp=None)
    try:
        with mock.patch.multiple(factory, **recorders):
            wrapper = choose(optimizer_config, model_chunks=[], param_groups=[], **extra)
    except Exception as error:
        return {"error": error_text(error)}
    scaler = None
    if wrapper.name != "FP32Optimizer":
        scaler = wrapper.args[2] if len(wrapper.args) > 2 else wrapper.kwargs.get("grad_scaler")
    if scaler is None:
        return {"class": None, "wrapper": wrapper.name}
    return {"class": scaler.name, "args": jsonable(list(scaler.args)), "kwargs": jsonable(scaler.kwargs), "wrapper": wrapper.name}


def observe(tc: Any, optimizer_config: Any, ddp_config: Any, te_version: str, wrap=None) -> dict[str, Any]:
    facts = {
        "tc": config_fields(tc, TC_FIELDS),
        "optimizer": config_fields(optimizer_config, OPTIMIZER_FIELDS),
        "ddp": config_fields(ddp_config, DDP_FIELDS),
        "grad_scale_func_set": getattr(tc, "grad_scale_func", None) is not None,
        "validation": revalidate(tc),
        "module": half_module(tc, wrap),
        "scaler": loss_scaler(optimizer_config),
        "te_version": te_version,
    }
    if getattr(tc, "fp8", None) is not None:
        facts["recipe"] = fp8_recipe(tc, te_version)
    return facts


def refusal(facts: dict[str, Any]) -> str | None:
    """What Megatron-core would refuse about these configs (its validation, or its recipe code)."""
    if "error" in facts.get("recipe", {}):
        return "recipe: " + facts["recipe"]["error"]
    if facts["validation"]:
        return "validation: " + facts["validation"]
    return None

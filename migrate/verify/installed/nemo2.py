"""The NeMo 2.x migrated side from the installed `nemo.lightning`: the real `MegatronMixedPrecision`
pushed onto real Megatron-core configs, as `MegatronStrategy.connect()` does.

`verify` builds the plugin from the literal arguments libcst read from the script (never executing
it); the `nemo2` conformance probe runs convert's generated module and hands over the plugin it built.
Either way the rest is the same: the plugin's `dtype_config` goes through NeMo's own
`update_config_with_dtype_overrides` onto fresh `TransformerConfig`, `OptimizerConfig` (built with
the module's `optimizer_config_overrides`, if any) and `DistributedDataParallelConfig`; a model is
wrapped with the plugin's own `convert_module`; and Megatron-core's own code builds the recipe and
picks the loss scaler (`installed.mcore.observe`). Whether the loss is scaled in backward comes from
a scan of the installed NeMo for an assignment of Megatron-core's `grad_scale_func`.

NeMo 2.0-2.2 assert that Transformer Engine imports when `fp8` is set; while such a plugin is built,
the recording stand-in provides `transformer_engine.pytorch.fp8.FP8GlobalStateManager`, whose
`FP8_PARAMETERS` flag the plugin sets for `fp8_params=True` (recorded).

Standard library at import time.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from migrate.verify.installed.mcore import model_configs, observe, refusal
from migrate.verify.installed.source import assignments, module_source
from migrate.verify.installed.standins import RecordingTE

# The Transformer Engine of NeMo 2.5's container, for a machine without one: it decides which recipe
# branches Megatron-core may take (Float8CurrentScaling needs TE >= 2.2).
DEFAULT_TE_VERSION = "2.6.0"
_TORCH_DTYPES = ("bfloat16", "float16", "half", "float32", "float")


def mixed_precision_module():
    from nemo.lightning.pytorch.plugins import mixed_precision

    return mixed_precision


def asks_for_te(module) -> bool:
    return "transformer_engine" in inspect.getsource(module.MegatronMixedPrecision.__init__)


def literal(value: Any) -> Any:
    """A literal argument as the class receives it: `torch.bfloat16` written in the script is a dtype."""
    if isinstance(value, str) and value.startswith("torch.") and value[len("torch."):] in _TORCH_DTYPES:
        import torch

        return getattr(torch, value[len("torch."):])
    return value


def construct(build: Callable[[], Any], te: RecordingTE) -> Any:
    """Run `build()` (which constructs the plugin) with the TE stand-in visible where NeMo asks for it."""
    module = mixed_precision_module()
    if asks_for_te(module):
        with te.installed():
            return build()
    return build()


def scale_func_assignments() -> list[str]:
    """NeMo's own files that give Megatron-core a grad_scale_func (it scales the loss only through it)."""
    return assignments(module_source("nemo").parent, ("lightning", "collections/llm"), "grad_scale_func")


def plugin_facts(plugin: Any, te: RecordingTE, optimizer_overrides: dict | None = None,
                 scale_assignments: list[str] | None = None) -> dict:
    """What Megatron-core makes of the configs this plugin writes onto (installed.mcore.observe)."""
    from megatron.core.optimizer import OptimizerConfig

    module = mixed_precision_module()
    tc, _, ddp = model_configs()
    optimizer = OptimizerConfig(**(optimizer_overrides or {}))
    for config in (tc, optimizer, ddp):
        module.update_config_with_dtype_overrides(plugin.dtype_config, config)
    facts = observe(tc, optimizer, ddp, te.version, wrap=plugin.convert_module)
    facts["plugin_precision"] = plugin.precision
    facts["grad_scale_func_assigned_in"] = scale_func_assignments() if scale_assignments is None else scale_assignments
    if asks_for_te(module):
        facts["te_fp8_parameters"] = te.modules["transformer_engine.pytorch.fp8"].FP8GlobalStateManager.FP8_PARAMETERS
    facts["refusal"] = refusal(facts)
    return facts


def facts_from_arguments(arguments: dict[str, Any], te_version: str) -> dict:
    """verify's path: MegatronMixedPrecision(**arguments) built from literals; its facts, or {"exception"}."""
    from migrate.verify.installed.standins import error_text

    te = RecordingTE(te_version)
    module = mixed_precision_module()
    try:
        plugin = construct(lambda: module.MegatronMixedPrecision(**{k: literal(v) for k, v in arguments.items()}), te)
    except Exception as error:  # noqa: BLE001 - the real class refusing the arguments is a result
        return {"exception": "construct: " + error_text(error)}
    return plugin_facts(plugin, te)


def rows(facts: dict) -> dict[str, Any]:
    """verify's migrated rows: NeMo 2.x applies the loss scale only if its sources assign grad_scale_func."""
    from migrate.verify.installed.rows import mcore_rows

    return {"precision_plugin": "MegatronMixedPrecision",
            **mcore_rows(facts, scale_applied=bool(facts.get("grad_scale_func_assigned_in")))}

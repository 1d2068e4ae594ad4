"""Runs inside a NeMo 2.x environment: `python nemo2_probe.py CASES.json OUT.json TE_VERSION`.

For each module `convert` wrote: run it (it only imports torch and nemo.lightning and constructs
`nl.MegatronMixedPrecision`), then do what `MegatronStrategy.connect()` does with the plugin: push its
`dtype_config` through NeMo's own `update_config_with_dtype_overrides` onto fresh Megatron-core
`TransformerConfig`, `OptimizerConfig` (built with the module's `optimizer_config_overrides`, if
any) and `DistributedDataParallelConfig`; wrap a model with the plugin's own `convert_module`; and
record what Megatron-core then makes of them (`mcore_facts.observe`).

NeMo 2.0-2.2 assert that Transformer Engine imports when `fp8` is set; while such a module runs, the
recording stand-in provides `transformer_engine.pytorch.fp8.FP8GlobalStateManager`, whose
`FP8_PARAMETERS` flag the plugin sets for `fp8_params=True` (recorded).
"""

from __future__ import annotations

import inspect
import json
import sys

from migrate.verify.installed.mcore import model_configs, observe, refusal
from migrate.verify.installed.source import assignments, module_source
from migrate.verify.installed.standins import RecordingTE, error_text


SCALE_FUNC_ASSIGNMENTS: list[str] = []


def probe(case: dict, te_version: str) -> dict:
    from nemo.lightning.pytorch.plugins import mixed_precision as nemo_mp

    plugin_class = nemo_mp.MegatronMixedPrecision
    asks_for_te = "transformer_engine" in inspect.getsource(plugin_class.__init__)
    te = RecordingTE(te_version)
    namespace: dict = {"__name__": "converted"}
    try:
        code = compile(case["text"], case["id"], "exec")
        if asks_for_te:
            with te.installed():
                exec(code, namespace)  # the project's own output, in this throw-away environment
        else:
            exec(code, namespace)
    except Exception as error:
        return {"id": case["id"], "exception": "construct: " + error_text(error)}
    plugins = [v for v in namespace.values() if isinstance(v, plugin_class)]
    if len(plugins) != 1:
        return {"id": case["id"], "exception": f"construct: {len(plugins)} MegatronMixedPrecision objects in the module"}
    plugin = plugins[0]
    from megatron.core.optimizer import OptimizerConfig

    tc, _, ddp = model_configs()
    optimizer = OptimizerConfig(**namespace.get("optimizer_config_overrides", {}))
    for config in (tc, optimizer, ddp):
        nemo_mp.update_config_with_dtype_overrides(plugin.dtype_config, config)
    facts = observe(tc, optimizer, ddp, te_version, wrap=plugin.convert_module)
    facts["plugin_precision"] = plugin.precision
    facts["grad_scale_func_assigned_in"] = SCALE_FUNC_ASSIGNMENTS
    if asks_for_te:
        facts["te_fp8_parameters"] = te.modules["transformer_engine.pytorch.fp8"].FP8GlobalStateManager.FP8_PARAMETERS
    return {"id": case["id"], "facts": facts, "exception": refusal(facts)}


def main(cases_path: str, out_path: str, te_version: str) -> None:
    from importlib.metadata import version

    cases = json.load(open(cases_path, encoding="utf-8"))
    # Who gives Megatron-core a grad_scale_func (it scales the loss only through it): NeMo's own code.
    SCALE_FUNC_ASSIGNMENTS.extend(assignments(module_source("nemo").parent, ("lightning", "collections/llm"), "grad_scale_func"))
    results = [probe(case, te_version) for case in cases]
    versions = {name: version(name) for name in ("nemo-toolkit", "megatron-core", "torch")}
    json.dump({"versions": versions, "results": results}, open(out_path, "w", encoding="utf-8"), indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:4])

"""Runs inside a Megatron Bridge environment: `python bridge_probe.py CASES.json OUT.json TE_VERSION`.

The `megatron.bridge` package imports Transformer Engine unconditionally (its PEFT layers, reached
from `training/mixed_precision.py` through `megatron.bridge.models`), so the wheel's
`training/mixed_precision.py` is loaded as a file. The one stand-in: `megatron.bridge.models`
holding two empty classes, `GPTModelProvider` and `T5ModelProvider`, which that file uses only in
type hints. For each module `convert` wrote: run it, resolve a recipe name with the file's own
`get_mixed_precision_config`, then `finalize()` and `setup()` onto fresh Megatron-core configs, as
Bridge's `runtime_config_update` does (`training/config.py`), and record what Megatron-core makes
of them (`mcore_facts.observe`). `ConfigContainer.validate()` is not run (it needs the whole
container); the checks of it that verify models are listed with the results.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from importlib.metadata import distribution, version

from migrate.verify.installed.mcore import model_configs, observe, refusal
from migrate.verify.installed.source import assignments
from migrate.verify.installed.standins import error_text

MODULE = "megatron.bridge.training.mixed_precision"


def bridge_root():
    return distribution("megatron-bridge").locate_file("megatron/bridge")


def load_mixed_precision():
    """The wheel's mixed_precision.py as `megatron.bridge.training.mixed_precision`."""
    import megatron  # the installed megatron.core namespace

    for name in ("megatron.bridge", "megatron.bridge.training"):
        package = types.ModuleType(name)
        package.__path__ = []  # nothing else of the package is imported
        sys.modules[name] = package
    models = types.ModuleType("megatron.bridge.models")
    models.GPTModelProvider = type("GPTModelProvider", (), {})  # stand-in: type hints only
    models.T5ModelProvider = type("T5ModelProvider", (), {})
    sys.modules["megatron.bridge.models"] = models
    spec = importlib.util.spec_from_file_location(MODULE, str(bridge_root() / "training" / "mixed_precision.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE] = module
    spec.loader.exec_module(module)
    megatron.bridge = sys.modules["megatron.bridge"]
    return module


def probe(case: dict, mp, te_version: str, scale_assignments: list[str]) -> dict:
    namespace: dict = {"__name__": "converted"}
    try:
        exec(compile(case["text"], case["id"], "exec"), namespace)  # the project's own output
        config = namespace["mixed_precision"]
        if isinstance(config, str):
            config = mp.get_mixed_precision_config(config)
        config.finalize()
    except Exception as error:
        return {"id": case["id"], "exception": "construct: " + error_text(error)}
    from megatron.core.optimizer import OptimizerConfig

    tc, _, ddp = model_configs()
    optimizer = OptimizerConfig(**namespace.get("optimizer_config_overrides", {}))
    try:
        config.setup(tc, optimizer, ddp)
    except Exception as error:
        return {"id": case["id"], "exception": "setup: " + error_text(error)}
    facts = observe(tc, optimizer, ddp, te_version)
    facts["grad_scale_func_assigned_in"] = scale_assignments
    return {"id": case["id"], "facts": facts, "exception": refusal(facts)}


def main(cases_path: str, out_path: str, te_version: str) -> None:
    cases = json.load(open(cases_path, encoding="utf-8"))
    # Who gives Megatron-core a grad_scale_func: Bridge's own training loop (read, not run).
    scale_assignments = assignments(bridge_root(), ("training",), "grad_scale_func")
    mp = load_mixed_precision()
    results = [probe(case, mp, te_version, scale_assignments) for case in cases]
    versions = {name: version(name) for name in ("megatron-bridge", "megatron-core", "torch")}
    json.dump({"versions": versions, "results": results}, open(out_path, "w", encoding="utf-8"), indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:4])

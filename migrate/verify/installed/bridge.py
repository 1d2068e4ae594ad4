"""The Megatron Bridge migrated side from the installed `megatron.bridge`: its real `MixedPrecisionConfig`,
`finalize()` and `setup()` onto fresh Megatron-core configs, as Bridge's `runtime_config_update` does
(`training/config.py`), then what Megatron-core makes of them (`installed.mcore.observe`).

The `megatron.bridge` package imports Transformer Engine unconditionally (its PEFT layers, reached
from `training/mixed_precision.py` through `megatron.bridge.models`); where Transformer Engine is not
installed, the wheel's `training/mixed_precision.py` is loaded as a file, with one stand-in:
`megatron.bridge.models` holding two empty classes, `GPTModelProvider` and `T5ModelProvider`, which
that file uses only in type hints. `ConfigContainer.validate()` is not run (it needs the whole
container). Whether the loss is scaled in backward comes from a scan of Bridge's `training/` sources
for an assignment of Megatron-core's `grad_scale_func`.

`verify` builds the config from the literal arguments (or the recipe name) libcst read from the
script; the `bridge` conformance probe runs convert's module and hands over the config it built.

Standard library at import time.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from typing import Any

from migrate.verify.installed.mcore import model_configs, observe, refusal
from migrate.verify.installed.source import assignments
from migrate.verify.installed.standins import error_text

MODULE = "megatron.bridge.training.mixed_precision"
# The Transformer Engine Bridge 0.6.0 was read against, for a machine without one.
DEFAULT_TE_VERSION = "2.19.0"


def bridge_root():
    from importlib.metadata import distribution

    return distribution("megatron-bridge").locate_file("megatron/bridge")


def load_mixed_precision():
    """Bridge's mixed_precision module: imported normally when Transformer Engine is installed, else the
    wheel's file loaded as `megatron.bridge.training.mixed_precision` (see the module docstring)."""
    if MODULE in sys.modules:
        return sys.modules[MODULE]
    if importlib.util.find_spec("transformer_engine") is not None:
        return importlib.import_module(MODULE)
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


def scale_func_assignments() -> list[str]:
    """Bridge's own training files that give Megatron-core a grad_scale_func (read, not run)."""
    return assignments(bridge_root(), ("training",), "grad_scale_func")


def config_facts(config: Any, te_version: str, optimizer_overrides: dict | None = None,
                 scale_assignments: list[str] | None = None) -> dict:
    """finalize() and setup() of a MixedPrecisionConfig (or a recipe name), then Megatron-core's view;
    {"exception": ...} when Bridge refuses it."""
    from megatron.core.optimizer import OptimizerConfig

    module = load_mixed_precision()
    try:
        if isinstance(config, str):
            config = module.get_mixed_precision_config(config)
        config.finalize()
    except Exception as error:  # noqa: BLE001 - Bridge refusing the config is a result
        return {"exception": "construct: " + error_text(error)}
    tc, _, ddp = model_configs()
    optimizer = OptimizerConfig(**(optimizer_overrides or {}))
    try:
        config.setup(tc, optimizer, ddp)
    except Exception as error:  # noqa: BLE001
        return {"exception": "setup: " + error_text(error)}
    facts = observe(tc, optimizer, ddp, te_version)
    facts["grad_scale_func_assigned_in"] = scale_func_assignments() if scale_assignments is None else scale_assignments
    facts["refusal"] = refusal(facts)
    return facts


def facts_from_literal(recipe: str | None, positional: tuple, arguments: dict[str, Any], te_version: str) -> dict:
    """verify's path: a recipe name, or MixedPrecisionConfig(*positional, **arguments) built from literals."""
    from migrate.verify.installed.nemo2 import literal

    module = load_mixed_precision()
    if recipe is not None:
        return config_facts(recipe, te_version)
    try:
        config = module.MixedPrecisionConfig(*map(literal, positional), **{k: literal(v) for k, v in arguments.items()})
    except Exception as error:  # noqa: BLE001
        return {"exception": "construct: " + error_text(error)}
    return config_facts(config, te_version)


def rows(facts: dict) -> dict[str, Any]:
    """verify's migrated rows: Bridge applies the loss scale when its training loop assigns grad_scale_func."""
    from migrate.verify.installed.rows import mcore_rows

    return {"precision_plugin": "MixedPrecisionConfig",
            **mcore_rows(facts, scale_applied=bool(facts.get("grad_scale_func_assigned_in")))}


def versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in ("megatron-bridge", "megatron-core", "torch")}

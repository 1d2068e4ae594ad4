"""Migrated side for Megatron Bridge: what `ConfigContainer(mixed_precision=...)` trains with.

The module is parsed with libcst (never executed). It holds either one
`MixedPrecisionConfig(...)` call or a registered recipe (a name string, `get_mixed_precision_config`
or the recipe function). Bridge's own behaviour is then applied (research notes, Bridge section
1.2): defaults, `fp8_param` overwritten by `fp8_param_gather`, every field copied onto the model
config (None values too), followed by Megatron-core's TE recipe construction (section 2.3).
Recipes resolve through `bridge_recipes`, never through the emitter's snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from migrate.errors import InputError, Location
from migrate.nemo2 import source_guard
from migrate.nemo2.calls import CallSite, NotLiteral, find_calls, parse_python, string_value
from migrate.verify.bridge_recipes import BRIDGE_VERSION, DEFAULTS, FIELD_NAMES, RECIPES, resolve_recipe
from migrate.verify.effective import Effective, Entry
from migrate.verify.mcore_recipe import fp8_format, recipe_rows

MP_MODULES = ("megatron.bridge.training.mixed_precision",)
_TORCH_DTYPES = {
    "torch.bfloat16": "bf16",
    "torch.float16": "fp16",
    "torch.half": "fp16",
    "torch.float32": "fp32",
    "torch.float": "fp32",
}


@dataclass(frozen=True)
class BridgeConfig:
    """The constructed MixedPrecisionConfig: field -> (value, why), before Bridge's semantics."""

    path: str
    line: int
    recipe: str | None  # the registered recipe it came from, if any
    fields: dict[str, tuple[Any, str]]
    errors: tuple[str, ...]


@dataclass(frozen=True)
class _Source:
    line: int
    col: int
    kind: str  # "call" | "name"
    call: CallSite | None = None
    name: str | None = None


def _names_mixed_precision(target: cst.BaseExpression) -> bool:
    if isinstance(target, cst.Attribute):
        return target.attr.value == "mixed_precision"
    return isinstance(target, cst.Name) and target.value == "mixed_precision"


class _RecipeStrings(cst.CSTVisitor):
    """`mixed_precision = "bf16_mixed"`, `cfg.mixed_precision = ...` and `ConfigContainer(..., mixed_precision=...)`."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self) -> None:
        self.found: list[_Source] = []

    def _add(self, node: cst.BaseExpression) -> None:
        value = string_value(node)
        if isinstance(value, str):
            position = self.get_metadata(PositionProvider, node)
            self.found.append(_Source(position.start.line, position.start.column + 1, "name", name=value))

    def visit_Assign(self, node: cst.Assign) -> None:
        # `mixed_precision = "..."` and `cfg.mixed_precision = "..."`
        if any(_names_mixed_precision(t.target) for t in node.targets):
            self._add(node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if _names_mixed_precision(node.target) and node.value is not None:
            self._add(node.value)

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None and node.keyword.value == "mixed_precision":
            self._add(node.value)


def _sources(module: cst.Module) -> list[_Source]:
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    targets = {name: MP_MODULES for name in ("MixedPrecisionConfig", "get_mixed_precision_config", *RECIPES)}
    found = [_Source(c.line, c.col, "call", call=c) for c in find_calls(module, targets, wrapper)]
    strings = _RecipeStrings()
    wrapper.visit(strings)
    found.extend(strings.found)
    return sorted(found, key=lambda s: (s.line, s.col))


def read_bridge(text: str, path: str) -> BridgeConfig:
    """The one MixedPrecisionConfig the module builds; InputError if there is not exactly one."""
    with source_guard.tree_work():
        found = _sources(parse_python(text, path))
    if not found:
        raise InputError(
            Location(path),
            "no MixedPrecisionConfig(...) call or mixed-precision recipe name found: nothing to verify",
        )
    if len(found) > 1:
        second = found[1]
        raise InputError(
            Location(path, second.line, second.col),
            f"{len(found)} mixed-precision configurations (lines {', '.join(str(s.line) for s in found)}): verify reads exactly one",
        )
    source = found[0]
    if source.kind == "name":
        return _from_recipe(path, source.line, source.name)
    call = source.call
    for name, value in [*call.kwargs.items(), *((f"#{i}", v) for i, v in enumerate(call.positional))]:
        if isinstance(value, NotLiteral):
            raise InputError(
                Location(path, call.line, call.col),
                f"argument {name} of {call.name} is not a literal ({value.brief()}): verify reads literal arguments only",
            )
    if call.name == "get_mixed_precision_config":
        if len(call.positional) != 1 or call.kwargs or not isinstance(call.positional[0], str):
            raise InputError(Location(path, call.line, call.col), "get_mixed_precision_config needs one recipe name string")
        return _from_recipe(path, call.line, call.positional[0])
    if call.name != "MixedPrecisionConfig":
        errors = (f"TypeError: {call.name}() takes no arguments",) if call.kwargs or call.positional else ()
        config = _from_recipe(path, call.line, call.name)
        return BridgeConfig(path, call.line, config.recipe, config.fields, errors + config.errors)
    return _from_call(path, call)


def literal_source(text: str, path: str) -> tuple[str | None, tuple[Any, ...], dict[str, Any]]:
    """(recipe name or None, positional, keyword literals) of the module's one mixed-precision
    configuration, for building it with the installed Bridge; read_bridge's reading and errors."""
    read_bridge(text, path)
    with source_guard.tree_work():
        source = _sources(parse_python(text, path))[0]
    if source.kind == "name":
        return source.name, (), {}
    call = source.call
    if call.name == "get_mixed_precision_config":
        return call.positional[0], (), {}
    if call.name != "MixedPrecisionConfig":
        return call.name, (), {}
    return None, tuple(call.positional), dict(call.kwargs)


def _defaults() -> dict[str, tuple[Any, str]]:
    return {name: (value, f"MixedPrecisionConfig default {name}={value!r} (Bridge {BRIDGE_VERSION})") for name, value in DEFAULTS}


def _from_recipe(path: str, line: int, name: str) -> BridgeConfig:
    fields = _defaults()
    resolved = resolve_recipe(name)
    if resolved is None:
        error = f"ValueError: Unknown mixed-precision recipe {name!r} (get_mixed_precision_config)"
        return BridgeConfig(path, line, None, fields, (error,))
    key, values = resolved
    for field_name, value in values.items():
        fields[field_name] = (value, f"recipe {key} sets {field_name}={value!r} (line {line})")
    return BridgeConfig(path, line, key, fields, ())


def _from_call(path: str, call: CallSite) -> BridgeConfig:
    errors: list[str] = []
    if call.positional:
        errors.append(f"TypeError: MixedPrecisionConfig() takes keyword arguments only ({len(call.positional)} positional given)")
    fields = _defaults()
    for name, value in call.kwargs.items():
        if name not in FIELD_NAMES:
            errors.append(f"TypeError: MixedPrecisionConfig() got an unexpected keyword argument {name!r} (Bridge {BRIDGE_VERSION})")
        else:
            fields[name] = (value, f"{name}={value!r} (line {call.line})")
    return BridgeConfig(path, call.line, None, fields, tuple(errors))


class _Semantics:
    def __init__(self, config: BridgeConfig) -> None:
        self.config = config
        self.fields = dict(config.fields)
        self.errors = list(config.errors)
        self.entries: dict[str, Entry] = {}

    def arg(self, name: str) -> Any:
        return self.fields[name][0]

    def why(self, name: str) -> str:
        return self.fields[name][1]

    def set(self, key: str, value: Any, why: str) -> None:
        self.entries[key] = Entry(value, why)

    def _param_alias(self, param: str, gather: str) -> None:
        """`__setattr__` copies `gather` into `param`; `gather` is assigned last, so it always wins."""
        written, gathered = self.arg(param), bool(self.arg(gather))
        why = f"{self.why(gather)}; MixedPrecisionConfig.__setattr__ copies it into {param}"
        if written is not None and bool(written) != gathered:
            why += f" (overwriting {param}={written!r} as written)"
        self.fields[param] = (gathered, why)

    def dtype(self, name: str) -> tuple[Any, str]:
        value = self.arg(name)
        if value is None:
            return None, self.why(name) + ": setup() copies None onto TransformerConfig." + name
        if isinstance(value, str) and value in _TORCH_DTYPES:
            return _TORCH_DTYPES[value], self.why(name)
        self.errors.append(f"{name}={value!r} is not a torch dtype")
        return "invalid", self.why(name)

    def build(self) -> Effective:
        self._param_alias("fp8_param", "fp8_param_gather")
        self._param_alias("fp4_param", "fp4_param_gather")
        if self.arg("fp4") is not None and self.arg("fp8") is not None:
            self.errors.append("ValueError: fp4 and fp8 both set (MixedPrecisionConfig.finalize)")
        fp16, bf16 = bool(self.arg("fp16")), bool(self.arg("bf16"))
        if fp16 and bf16:
            self.errors.append("fp16 and bf16 both True: Bridge's config validation rejects it")
        compute = "fp16" if fp16 else "bf16" if bf16 else "fp32"
        why = self.why("fp16") if fp16 else self.why("bf16") if bf16 else "bf16 and fp16 both False: fp32 training"
        if self.arg("fp32"):
            why += " (fp32=True is inert: no model, optimizer or DDP attribute has that name)"
        self.set("precision_plugin", "MixedPrecisionConfig", "Megatron Bridge's mixed_precision (no Lightning plugin)")
        self.set("precision", compute, why)
        half = fp16 or bf16
        amp_why = "Float16Module holds half weights with fp32 main params (Megatron-core)" if half else "fp32 training"
        if self.arg("autocast_enabled"):
            amp_why += "; autocast_enabled=True is inert (Megatron-core reads enable_autocast)"
        self.set("amp_mode", "O2" if half else "fp32", amp_why)
        self.set("params_dtype", *self.dtype("params_dtype"))
        self.set("pipeline_dtype", *self.dtype("pipeline_dtype"))
        reduce = "fp32" if self.arg("grad_reduce_in_fp32") else compute
        self.set("grad_reduce_dtype", reduce, self.why("grad_reduce_in_fp32") + ": copied onto DistributedDataParallelConfig")
        if self.arg("fp4") is not None:
            self.set("fp4_format", self.arg("fp4"), self.why("fp4") + f": NVFP4 training ({self.arg('fp4_recipe')})")
        self._fp8()
        self._loss(fp16, bf16)
        return Effective("migrated", self.entries, tuple(self.errors), source=self.config.path)

    def _fp8(self) -> None:
        fmt = self.arg("fp8")
        if fmt is None:
            self.set("fp8_format", None, self.why("fp8") + ": FP8 off")
            if self.arg("fp8_param"):
                self.errors.append("fp8_param (from fp8_param_gather) without fp8: Megatron-core TransformerConfig raises")
            return
        if not fp8_format(self, fmt):
            return
        selector = self.arg("fp8_recipe")
        selector_why = self.why("fp8_recipe") + " (copied over Megatron-core's default 'delayed')"
        unsupported = (
            "needs fp8_quantizer_factory, which MixedPrecisionConfig cannot set"
            if selector == "custom"
            else "not a supported FP8 recipe"
        )
        recipe = recipe_rows(self, selector, selector_why, unsupported)
        if recipe is None:
            return
        delayed = recipe == "DelayedScaling"
        self.set("fp8_params", bool(self.arg("fp8_param")), self.why("fp8_param"))
        if selector == "mxfp8" and self.arg("fp8_param_gather") and not self.arg("reuse_grad_buf_for_mxfp8_param_ag"):
            self.errors.append("mxfp8 with fp8_param_gather needs reuse_grad_buf_for_mxfp8_param_ag=True: ConfigContainer.validate asserts")
        first_last = bool(self.arg("first_last_layers_bf16"))
        self.set("first_last_layers_bf16", first_last, self.why("first_last_layers_bf16"))
        if first_last:
            if delayed:
                self.errors.append("first_last_layers_bf16 with fp8_recipe 'delayed': Megatron-core raises ValueError")
            for name in ("num_layers_at_start_in_bf16", "num_layers_at_end_in_bf16"):
                self.set(name, self.arg(name), self.why(name) + " (copied over Megatron-core's default 1)")

    def _loss(self, fp16: bool, bf16: bool) -> None:
        constant = self.arg("loss_scale")
        if constant is not None and (fp16 or bf16):
            self.set("loss_scaler", "constant", self.why("loss_scale"))
            self.set("initial_loss_scale", float(constant), self.why("loss_scale"))
            self.set("loss_scale_applied", True, "Bridge's train loop sets grad_scale_func = optimizer.scale_loss")
            return
        if not fp16:
            self.set("loss_scaler", "none", "no loss scaling: not fp16")
            return
        self.set("loss_scaler", "dynamic", "DynamicGradScaler for fp16 (Megatron-core optimizer, fields copied by setup())")
        for key, name in (("initial_loss_scale", "initial_loss_scale"), ("loss_scale_window", "loss_scale_window"),
                          ("hysteresis", "hysteresis"), ("min_loss_scale", "min_loss_scale")):
            value = self.arg(name)
            if value is not None and key in ("initial_loss_scale", "min_loss_scale"):
                value = float(value)
            elif value is not None and key == "loss_scale_window" and float(value).is_integer():
                value = int(value)
            self.set(key, value, self.why(name))
        self.set("loss_scale_applied", True, "Bridge's train loop sets model_config.grad_scale_func = optimizer.scale_loss")


def bridge_effective(config: BridgeConfig) -> Effective:
    return _Semantics(config).build()

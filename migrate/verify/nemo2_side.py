"""Migrated side: what NeMo 2.0 trains with, read from the Python that constructs the plugin.

The module is parsed with libcst (never executed): its one `MegatronMixedPrecision(...)` call is
bound to the release's signature (`nemo2_signatures`), and the plugin's own semantics are applied
(semantics notes section 3.2 precision normalisation, 3.3 where each argument lands) followed by
Megatron-core's recipe construction (section 4.2). Nothing here reads the emitter's plan, so an
emitter bug shows up as a difference. A script with no plugin call but one trainer (or NeMo recipe)
with a precision flag is modelled by `nemo2_trainer` (Lightning's own precision plugin).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from migrate.errors import InputError, Location
from migrate.nemo2 import source_guard
from migrate.nemo2.calls import CallSite, NotLiteral, find_calls, parse_python
from migrate.verify.effective import Effective, Entry
from migrate.verify.mcore_recipe import fp8_format, recipe_rows
from migrate.verify.nemo2_signatures import PARAMETERS, REQUIRED
from migrate.verify.nemo2_trainer import (
    TrainerPrecision,
    TrainerScript,
    plugin_conflict,
    read_trainer_precision,
    trainer_effective,
)

_TORCH_DTYPES = {
    "torch.bfloat16": "bf16",
    "torch.float16": "fp16",
    "torch.half": "fp16",
    "torch.float32": "fp32",
    "torch.float": "fp32",
}
# Semantics notes 3.4 (NeMo issue #12102): nemo/lightning and nemo/collections/llm of NeMo 2.0.0 - 2.7.3 never
# assign Megatron-core's config.grad_scale_func (the conformance harness scans each release for it), so
# the loss is not multiplied by the scaler's scale in backward, for a dynamic and a constant scaler alike.
NO_GRAD_SCALE_FUNC = "no NeMo 2.0 code sets Megatron-core's grad_scale_func (NeMo 2.0 - 2.7 sources)"
_FP16 = ("fp16", "fp16-mixed", "16", "16-mixed")
_BF16 = ("bf16", "bf16-mixed")
_FP32 = ("fp32", "32", "32-true")


@dataclass(frozen=True)
class PluginCall:
    """The bound arguments of one plugin call: name -> (value, written in the file?)."""

    path: str
    line: int
    arguments: dict[str, tuple[Any, bool]]
    version: str
    errors: tuple[str, ...]


def read_plugin(text: str, path: str, version: str) -> PluginCall | TrainerPrecision:
    """The single MegatronMixedPrecision call in `text`, or, without one, the precision flag of the one
    trainer or recipe; InputError if there is neither, or more than one."""
    with source_guard.tree_work():
        module = parse_python(text, path)
        calls = find_calls(module)
        if not calls:
            trainer = read_trainer_precision(TrainerScript(module, path))
            if trainer is None:
                raise InputError(Location(path), "no nl.MegatronMixedPrecision(...) call, nl.Trainer(...) or NeMo "
                                 "recipe found: nothing to verify")
            return trainer
        if len(calls) > 1:
            second = calls[1]
            raise InputError(
                Location(path, second.line, second.col),
                f"{len(calls)} MegatronMixedPrecision calls (lines {', '.join(str(c.line) for c in calls)}): verify reads exactly one",
            )
        call = bind_call(calls[0], path, version)
        conflict = plugin_conflict(TrainerScript(module, path), calls[0].node)
    return call if conflict is None else replace(call, errors=(*call.errors, conflict))


def bind_call(call: CallSite, path: str, version: str) -> PluginCall:
    """Bind positional and keyword arguments like Python would; unknown names become errors."""
    parameters = PARAMETERS[version]
    names = [name for name, _ in parameters]
    errors: list[str] = []
    given: dict[str, Any] = {}
    for index, value in enumerate(call.positional):
        if index >= len(names):
            errors.append(f"TypeError: MegatronMixedPrecision() takes {len(names)} positional arguments but {len(call.positional)} were given")
            break
        given[names[index]] = value
    for name, value in call.kwargs.items():
        if name not in names:
            errors.append(f"TypeError: MegatronMixedPrecision() got an unexpected keyword argument {name!r} (NeMo {version})")
        elif name in given:
            errors.append(f"TypeError: MegatronMixedPrecision() got multiple values for argument {name!r}")
        else:
            given[name] = value
    for name, value in given.items():
        if isinstance(value, NotLiteral):
            raise InputError(
                Location(path, call.line, call.col),
                f"argument {name} is not a literal ({value.brief()}): verify reads literal arguments only",
            )
    arguments: dict[str, tuple[Any, bool]] = {}
    for name, default in parameters:
        if name in given:
            arguments[name] = (given[name], True)
        elif default == REQUIRED:
            errors.append(f"TypeError: MegatronMixedPrecision() missing 1 required positional argument: {name!r}")
            arguments[name] = (None, False)
        else:
            arguments[name] = (default, False)
    return PluginCall(path, call.line, arguments, version, tuple(errors))


class _Semantics:
    def __init__(self, call: PluginCall) -> None:
        self.call = call
        self.errors = list(call.errors)
        self.entries: dict[str, Entry] = {}

    def arg(self, name: str) -> Any:
        return self.call.arguments[name][0] if name in self.call.arguments else None

    def why(self, name: str) -> str:
        if name not in self.call.arguments:
            return f"no such argument in NeMo {self.call.version}"
        value, written = self.call.arguments[name]
        if written:
            return f"{name}={value!r} (line {self.call.line})"
        return f"MegatronMixedPrecision default {name}={value!r} (NeMo {self.call.version})"

    def set(self, key: str, value: Any, why: str) -> None:
        self.entries[key] = Entry(value, why)

    def dtype(self, name: str, fallback: str, fallback_why: str) -> tuple[str, str]:
        value = self.arg(name)
        if value is None:
            return fallback, fallback_why
        if isinstance(value, str) and value in _TORCH_DTYPES:
            return _TORCH_DTYPES[value], self.why(name)
        self.errors.append(f"{name}={value!r} is not a torch dtype")
        return "invalid", self.why(name)

    def build(self) -> Effective:
        precision = self.arg("precision")
        text = str(precision) if isinstance(precision, int) and not isinstance(precision, bool) else precision
        fp16 = text in _FP16
        bf16 = text in _BF16
        compute = "fp16" if fp16 else "bf16" if bf16 else "fp32"
        why = self.why("precision")
        if not (fp16 or bf16 or text in _FP32):
            why += ": not a recognised precision, so MegatronMixedPrecision silently trains in fp32"
        self.set("precision_plugin", "MegatronMixedPrecision", "the NeMo 2.0 plugin read from the script")
        self.set("precision", compute, why)
        half = fp16 or bf16
        self.set("amp_mode", "O2" if half else "fp32",
                 "Float16Module holds half weights with fp32 main params (NeMo 2.0 has no O1)" if half else "fp32 training")
        params, params_why = self.dtype("params_dtype", "fp32", self.why("params_dtype") + " -> fp32")
        self.set("params_dtype", params, params_why)
        default_pipe = "bf16" if bf16 else "fp32"
        pipe, pipe_why = self.dtype("pipeline_dtype", default_pipe, f"{self.why('pipeline_dtype')} -> {default_pipe} (bf16 only for bf16 precision)")
        self.set("pipeline_dtype", pipe, pipe_why)
        in_fp32 = self.arg("grad_reduce_in_fp32")
        reduce = "fp32" if in_fp32 else compute
        self.set("grad_reduce_dtype", reduce, self.why("grad_reduce_in_fp32") + ": DistributedDataParallelConfig.grad_reduce_in_fp32")
        self._fp4()
        self._fp8()
        self._loss(fp16, bf16)
        return Effective("migrated", self.entries, tuple(self.errors), source=self.call.path)

    def _fp4(self) -> None:
        """NeMo 2.6/2.7 pass fp4/fp4_recipe to Megatron-core (no FP4 argument before 2.6)."""
        fmt = self.arg("fp4")
        if fmt is None:
            return
        recipe = self.arg("fp4_recipe")
        self.set("fp4_format", fmt, f"{self.why('fp4')}: NVFP4 GEMMs ({self.why('fp4_recipe')}; TE NVFP4BlockScaling)")
        if self.arg("fp8") is not None:
            self.errors.append("fp4 and fp8 both set: Megatron-core TransformerConfig raises ValueError")
        if recipe == "custom":
            self.errors.append("fp4_recipe='custom' needs fp4_quantizer_factory, which MegatronMixedPrecision cannot set: Megatron-core raises")
        elif recipe != "nvfp4":
            self.errors.append(f"fp4_recipe={recipe!r}: Megatron-core get_fp4_recipe raises (NVFP4BlockScaling is the FP4 recipe)")

    def _fp8(self) -> None:
        fmt = self.arg("fp8")
        if fmt is None:
            self.set("fp8_format", None, self.why("fp8") + ": FP8 off")
            return
        if not fp8_format(self, fmt):
            return
        if "fp8_recipe" in self.call.arguments:
            selector, selector_why = self.arg("fp8_recipe"), self.why("fp8_recipe")
        else:
            selector, selector_why = "delayed", f"NeMo {self.call.version}: Megatron-core builds DelayedScaling only"
        recipe = recipe_rows(self, selector, selector_why)
        if recipe is None:
            return
        delayed = recipe == "DelayedScaling"
        self._fp8_params()
        first_last = self.arg("first_last_layers_bf16") or False
        self.set("first_last_layers_bf16", first_last, self.why("first_last_layers_bf16"))
        if first_last:
            if delayed:
                self.errors.append("first_last_layers_bf16 with fp8_recipe 'delayed': Megatron-core rejects this combination")
            for name in ("num_layers_at_start_in_bf16", "num_layers_at_end_in_bf16"):
                self.set(name, self.arg(name), self.why(name))

    def _fp8_params(self) -> None:
        version = self.call.version
        if "fp8_param_gather" not in self.call.arguments:
            # NeMo 2.0-2.2: fp8_params acts only with fp8 set (it is, here).
            self.set("fp8_params", bool(self.arg("fp8_params")), self.why("fp8_params"))
            return
        gather = self.arg("fp8_param_gather")
        alias = self.arg("fp8_params") if "fp8_params" in self.call.arguments else None
        if gather is not None and alias is not None and bool(gather) != bool(alias):
            self.errors.append("fp8_params and fp8_param_gather conflict: MegatronMixedPrecision raises ValueError")
        if gather is not None:
            self.set("fp8_params", bool(gather), self.why("fp8_param_gather"))
        elif alias is not None:
            self.set("fp8_params", bool(alias), self.why("fp8_params") + " (deprecated alias of fp8_param_gather)")
        else:
            self.set("fp8_params", False, f"fp8_param_gather and fp8_params both None -> False (NeMo {version})")

    def _number(self, name: str):
        """A loss-scaling argument that must be a number; a non-number is an error of the migrated side (None)."""
        value = self.arg(name)
        if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
            return value
        self.errors.append(f"{name}={value!r} is not a number: Megatron-core's loss scaler cannot use it")
        return None

    def _loss(self, fp16: bool, bf16: bool) -> None:
        constant = self.arg("fp16_loss_scale")
        if constant is not None and (fp16 or bf16):
            # Megatron-core: ConstantGradScaler whenever loss_scale is set (bf16 too).
            scale = self._number("fp16_loss_scale")
            self.set("loss_scaler", "constant" if scale is not None else "invalid", self.why("fp16_loss_scale"))
            self.set("initial_loss_scale", None if scale is None else float(scale), self.why("fp16_loss_scale"))
            self.set("loss_scale_applied", False, NO_GRAD_SCALE_FUNC)
            return
        if not fp16:
            self.set("loss_scaler", "none", "no loss scaling: not fp16")
            return
        values = {}
        for key, name in (("initial_loss_scale", "fp16_initial_loss_scale"), ("loss_scale_window", "fp16_loss_scale_window"),
                          ("hysteresis", "fp16_hysteresis"), ("min_loss_scale", "fp16_min_loss_scale")):
            value = self._number(name)
            values[key] = (float(value) if key.endswith("scale") and value is not None else value, self.why(name))
        required = {"initial_loss_scale": "fp16_initial_loss_scale", "loss_scale_window": "fp16_loss_scale_window",
                    "hysteresis": "fp16_hysteresis"}
        for key, name in required.items():
            if self.arg(name) is None:
                self.errors.append(f"{name}=None: Megatron-core's DynamicGradScaler needs a number")
        complete = all(values[key][0] is not None for key in required)
        self.set("loss_scaler", "dynamic" if complete else "invalid", "DynamicGradScaler for fp16 (Megatron-core optimizer)")
        for key, (value, why) in values.items():
            self.set(key, value, why)
        self.set("loss_scale_applied", False, NO_GRAD_SCALE_FUNC)


def nemo2_effective(call: PluginCall | TrainerPrecision) -> Effective:
    if isinstance(call, TrainerPrecision):
        return trainer_effective(call)
    return _Semantics(call).build()

"""Migrated side without a MegatronMixedPrecision plugin: what a NeMo 2.x trainer's precision flag trains with.

`nl.Trainer(precision="bf16-mixed")` (or `recipe.trainer.precision = ...`) with no plugin is read back
like the plugin (libcst, literals only, never executed) and modelled from the code of NeMo r2.5.0,
the Lightning release it pins (`requirements/requirements_lightning.txt`: lightning>2.2.1,<=2.4.0)
and Megatron-core 0.13.1, by code reading:

* `nl.Trainer` is Lightning's Trainer (`nemo/lightning/pytorch/trainer.py`: `class Trainer(pl.Trainer,
  IOMixin)`, no precision handling of its own). Lightning 2.4.0
  `src/lightning/fabric/plugins/precision/precision.py:23-36` and `fabric/connector.py:557-578`
  (`_convert_precision_to_unified_args`): 16 / "16" -> "16-mixed", "bf16" -> "bf16-mixed", 32 / "32" ->
  "32-true", 64 / "64" -> "64-true"; any other value raises ValueError. `accelerator_connector.py:483-526`
  (`_check_and_init_precision`): "16-mixed" / "bf16-mixed" -> `MixedPrecision(flag, "cuda")`,
  "16-true" / "bf16-true" -> `HalfPrecision`, "32-true" -> `Precision()`; no precision -> "32-true".
  `accelerator_connector.py:259-264`: a Precision plugin in `plugins` together with `precision=` raises
  ValueError "Received both `precision=...` and `plugins=...`. Choose one."
* Without MegatronMixedPrecision there is no `dtype_config` (`megatron_strategy.py:429-457`, `connect`):
  the model's TransformerConfig keeps Megatron-core's defaults `fp16=False`, `bf16=False`,
  `params_dtype=torch.float32` (`model_parallel_config.py:83-89`) and the model is not wrapped in
  Float16Module (only `MegatronMixedPrecision.convert_module` does that, `mixed_precision.py:182-203`):
  the weights stay fp32.
* `MegatronStrategy.training_step` runs the whole Megatron forward-backward schedule inside
  `self.precision_plugin.train_step_context()` (`megatron_strategy.py:736`), which is Lightning's
  `forward_context()` (`pytorch/plugins/precision/precision.py:168-171`); for MixedPrecision that is
  `torch.autocast("cuda", dtype=torch.bfloat16 or torch.half)` (`pytorch/plugins/precision/amp.py:113-121`).
  So "bf16-mixed" trains like NeMo 1.0's O1: fp32 weights under autocast.
* Gradients of fp32 parameters are fp32, and Megatron-core's DDP reduces in the parameter dtype unless
  `grad_reduce_in_fp32` (`distributed_data_parallel.py:234`): fp32 reduction. The optimizer has no
  grad scaler unless `OptimizerConfig.fp16` or `loss_scale` (`optimizer/__init__.py:396-416`).
* FP8 stays off: no plugin copies an `fp8` setting onto the model config (a model config that sets
  its own `fp8` fields keeps them; verify does not read model configs).
* "16-mixed": `MixedPrecision` makes a `torch.amp.GradScaler` (`amp.py:52-53`), but Megatron runs the
  backward itself (`megatron_strategy.py:1241`: `_skip_backward = True`), so `scaler.scale(loss)` is
  never called; `MixedPrecision.optimizer_step` then calls `scaler.unscale_(optimizer)` (`amp.py:78-87`:
  the closure returns the loss, and Megatron's optimizer has no `_step_supports_amp_scaling`), which
  asserts "Attempted unscale_ but _scale is None" (torch `amp/grad_scaler.py`,
  `_check_scale_growth_tracker`) at the first optimizer step.
* Pipeline dtype: `MegatronStrategy.pipeline_dtype` stays None without a dtype_config
  (`megatron_strategy.py:410-416`) unless `MegatronStrategy(pipeline_dtype=...)` is given (read when the
  script has one MegatronStrategy call); with pipeline parallelism Megatron-core then raises
  "pipeline_dtype must be specified" (`model_parallel_config.py:361-364`), so no run trains with another
  p2p dtype: the structural check shows that row as n/a.
* Recipes: every `nemo.collections.llm` recipe of r2.5.0 builds its trainer with a precision plugin
  (`llama3_8b.py:138`: `plugins=bf16_mixed()`; lists in the Nemotron-H recipes), so
  `recipe.trainer.precision = ...` without `recipe.trainer.plugins = None` is the Lightning ValueError above.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import libcst as cst

from migrate.errors import InputError, Location
from migrate.nemo2.calls import (
    CallFinder,
    NotLiteral,
    Positions,
    dotted_name,
    import_aliases,
    literal_value,
    qualified_name,
)
from migrate.target_api.nemo2 import RECIPE_FUNCTION, TRAINER_MODULES
from migrate.verify.effective import Effective, Entry

STRATEGY_MODULES = ("nemo.lightning", "nemo.lightning.pytorch.strategies",
                    "nemo.lightning.pytorch.strategies.megatron_strategy")
_TORCH_DTYPES = {"torch.bfloat16": "bf16", "torch.float16": "fp16", "torch.half": "fp16", "torch.float32": "fp32",
                 "torch.float": "fp32"}
_ABSENT = object()
_ALIASES = {16: "16-mixed", "16": "16-mixed", "bf16": "bf16-mixed", 32: "32-true", "32": "32-true",
            64: "64-true", "64": "64-true"}
_FLAGS = ("transformer-engine", "transformer-engine-float16", "16-true", "16-mixed", "bf16-true", "bf16-mixed",
          "32-true", "64-true")
RECIPE_PLUGIN = ("the recipe's trainer already has a precision plugin (every NeMo 2.x llm recipe passes plugins=, "
                 "e.g. llama3_8b: plugins=bf16_mixed())")


@dataclass(frozen=True)
class Setting:
    """One setting of a trainer config: its literal value (or NotLiteral) and where it was written."""

    value: Any
    line: int
    col: int
    node: cst.CSTNode


@dataclass(frozen=True)
class TrainerPrecision:
    """The precision flag of the one trainer a script builds, when no MegatronMixedPrecision is given."""

    path: str
    flag: Any  # the literal as written, or _ABSENT
    where: str  # "nl.Trainer(precision=...) (line 5)", for the report
    conflict: str | None = None  # the error building this trainer raises, if any
    pipeline: Setting | None = None  # `MegatronStrategy(pipeline_dtype=...)`, when the script passes one


class _Scan(cst.CSTVisitor):
    """Recipe calls, `name = <call>` bindings and `a.b.c = value` attribute writes, in source order."""

    def __init__(self, aliases: dict[str, str]) -> None:
        self.aliases = aliases
        self.recipes: list[cst.Call] = []
        self.bound: dict[int, str] = {}  # id(call) -> the name it is bound to
        self.writes: list[tuple[str, cst.Assign]] = []  # ("recipe.trainer.precision", node)

    def visit_Call(self, node: cst.Call) -> None:
        name = qualified_name(node.func, self.aliases) or ""
        if name.endswith("_recipe") and RECIPE_FUNCTION.fullmatch(name):
            self.recipes.append(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1:
            return
        target = node.targets[0].target
        if isinstance(target, cst.Name) and isinstance(node.value, cst.Call):
            self.bound[id(node.value)] = target.value
        elif isinstance(target, cst.Attribute):
            path = dotted_name(target)
            if path is not None:
                self.writes.append((path, node))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if isinstance(node.target, cst.Name) and isinstance(node.value, cst.Call):
            self.bound[id(node.value)] = node.target.value


class TrainerScript:
    """A parsed script's trainers and recipes, and the settings written on them (kwargs, then attribute writes)."""

    def __init__(self, module: cst.Module, path: str) -> None:
        self.module = module
        self.path = path
        self.positions = Positions(module)
        aliases = import_aliases(module)
        finder = CallFinder(module, aliases, {"Trainer": TRAINER_MODULES, "MegatronStrategy": STRATEGY_MODULES})
        module.visit(finder)
        scan = _Scan(aliases)
        module.visit(scan)
        self.trainers = [(node, args, via_run) for cls, node, args, via_run in finder.hits if cls == "Trainer"]
        self.strategies = [(node, args) for cls, node, args, _ in finder.hits if cls == "MegatronStrategy"]
        self.recipes = scan.recipes
        self.bound = scan.bound
        self.writes = scan.writes

    def where(self, node: cst.CSTNode) -> tuple[int, int]:
        start = self.positions[node].start
        return start.line, start.column + 1

    def error(self, node: cst.CSTNode, message: str) -> InputError:
        return InputError(Location(self.path, *self.where(node)), message)

    def _setting(self, node: cst.BaseExpression, anchor: cst.CSTNode) -> Setting:
        return Setting(literal_value(node, self.module), *self.where(anchor), node)

    def settings(self, call: cst.Call | None, args: list[cst.Arg], prefix: str | None) -> dict[str, Setting]:
        """`name -> Setting` of a trainer config: its keyword arguments, then `PREFIX.name = value` writes."""
        found: dict[str, Setting] = {}
        for arg in args:
            if arg.star == "**":
                raise self.error(arg, "this trainer takes **kwargs, which may pass precision= or plugins=; "
                                 "verify does not guess: pass them explicitly")
            if arg.keyword is not None:
                found[arg.keyword.value] = self._setting(arg.value, arg)
        if prefix is not None:
            for path, assign in self.writes:
                base, _, name = path.rpartition(".")
                if base == prefix and (call is None or self.where(assign) > self.where(call)):
                    found[name] = self._setting(assign.value, assign)
        return found

    def contains(self, outer: cst.CSTNode, inner: cst.CSTNode) -> bool:
        a, b = self.positions[outer], self.positions[inner]
        return ((a.start.line, a.start.column) <= (b.start.line, b.start.column)
                and (b.end.line, b.end.column) <= (a.end.line, a.end.column))


    def pipeline_dtype(self) -> Setting | None:
        """`pipeline_dtype=` of the script's one MegatronStrategy call, if it passes one."""
        if len(self.strategies) != 1:
            return None
        node, args = self.strategies[0]
        return self.settings(node, args, None).get("pipeline_dtype")


def _is_none(setting: Setting | None) -> bool:
    return setting is None or setting.value is None or (isinstance(setting.node, cst.List) and not setting.node.elements)


def _holds(script: TrainerScript, node: cst.BaseExpression, plugin: cst.Call) -> bool:
    """The plugins value is the plugin call, a name bound to it, or a list of which one of these is an element."""
    if isinstance(node, cst.Name):
        return script.bound.get(id(plugin)) == node.value
    if isinstance(node, (cst.List, cst.Tuple)):
        return any(_holds(script, element.value, plugin) for element in node.elements)
    return script.contains(node, plugin)


def plugin_conflict(script: TrainerScript, plugin: cst.Call) -> str | None:
    """Lightning's ValueError when the trainer given this plugin also gets a precision flag."""
    configs = [(node, script.settings(node, args, script.bound.get(id(node)) if via_run else None))
               for node, args, via_run in script.trainers]
    configs += [(node, script.settings(node, [], f"{script.bound[id(node)]}.trainer"))
                for node in script.recipes if id(node) in script.bound]
    for _, settings in configs:
        plugins, precision = settings.get("plugins"), settings.get("precision")
        if plugins is None or _is_none(precision) or not _holds(script, plugins.node, plugin):
            continue
        shown = precision.value.brief() if isinstance(precision.value, NotLiteral) else repr(precision.value)
        return (f"precision={shown} (line {precision.line}) and a precision plugin on the same trainer: Lightning raises "
                f"ValueError: Received both `precision=...` and `plugins=...`. Choose one. (drop the precision)")
    return None


def read_trainer_precision(script: TrainerScript) -> TrainerPrecision | None:
    """The one trainer's (or recipe's) precision flag; None when the script builds neither."""
    if len(script.trainers) > 1:
        lines = ", ".join(str(script.where(node)[0]) for node, _, _ in script.trainers)
        raise script.error(script.trainers[1][0], f"{len(script.trainers)} nl.Trainer calls (lines {lines}) and no "
                           "MegatronMixedPrecision(...): verify reads exactly one trainer")
    if script.trainers:
        node, args, via_run = script.trainers[0]
        settings = script.settings(node, args, script.bound.get(id(node)) if via_run else None)
        return _flag(script, settings, node, "nl.Trainer", None)
    if len(script.recipes) > 1:
        lines = ", ".join(str(script.where(node)[0]) for node in script.recipes)
        raise script.error(script.recipes[1], f"{len(script.recipes)} NeMo recipes (lines {lines}): verify reads exactly one")
    if not script.recipes:
        return None
    recipe = script.recipes[0]
    function = " ".join(script.module.code_for_node(recipe.func).split())
    name = script.bound.get(id(recipe))
    if name is None:
        raise script.error(recipe, f"{function}(...) is not assigned to a name, so its trainer settings cannot be read")
    settings = script.settings(recipe, [], f"{name}.trainer")
    plugins = settings.get("plugins")
    if plugins is None:
        if _is_none(settings.get("precision")):
            raise script.error(recipe, f"{function}(...) keeps the recipe's own precision plugin, which verify does not "
                               f"read: nothing to verify (set {name}.trainer.plugins; `convert --into` does)")
        return _flag(script, settings, recipe, f"{name}.trainer", RECIPE_PLUGIN)
    return _flag(script, settings, recipe, f"{name}.trainer", None)


def _flag(script: TrainerScript, settings: dict[str, Setting], anchor: cst.CSTNode, owner: str,
          conflict: str | None) -> TrainerPrecision:
    plugins = settings.get("plugins")
    if plugins is not None and not _is_none(plugins):
        code = " ".join(script.module.code_for_node(plugins.node).split())
        raise InputError(Location(script.path, plugins.line, plugins.col),
                         f"{owner} plugins={code[:60]} holds no MegatronMixedPrecision(...) call verify can read "
                         "(recipe helpers such as bf16_mixed() are not read)")
    precision = settings.get("precision")
    if precision is None:
        return TrainerPrecision(script.path, _ABSENT, f"{owner} without precision (line {script.where(anchor)[0]})",
                                pipeline=script.pipeline_dtype())
    if isinstance(precision.value, NotLiteral):
        raise InputError(Location(script.path, precision.line, precision.col),
                         f"precision is not a literal ({precision.value.brief()}): verify reads literal values only")
    if conflict is not None and precision.value is not None:
        conflict = (f"{conflict}, and {owner}.precision={precision.value!r} (line {precision.line}) is set too: Lightning "
                    "raises ValueError: Received both `precision=...` and `plugins=...`. Choose one.")
    else:
        conflict = None
    shown = f"{owner}(precision={precision.value!r})" if owner == "nl.Trainer" else f"{owner}.precision = {precision.value!r}"
    return TrainerPrecision(script.path, _ABSENT if precision.value is None else precision.value,
                            f"{shown} (line {precision.line})", conflict, script.pipeline_dtype())


def _unified(flag: Any) -> str | None:
    """Lightning's `_convert_precision_to_unified_args`: the flag it trains with, None if it raises."""
    if flag is _ABSENT:
        return "32-true"
    if isinstance(flag, bool) or not isinstance(flag, (int, str)):
        return None
    if flag in _ALIASES:
        return _ALIASES[flag]
    return flag if flag in _FLAGS else None


def _pipeline(trainer: TrainerPrecision, errors: list[str]) -> Entry:
    setting = trainer.pipeline
    if setting is None or setting.value is None:
        return Entry(None, "no dtype_config and no MegatronStrategy(pipeline_dtype=...): the pipeline dtype stays None, "
                     "and Megatron-core refuses pipeline parallelism without one")
    why = f"MegatronStrategy(pipeline_dtype={setting.value if isinstance(setting.value, str) else setting.value!r}) (line {setting.line})"
    if isinstance(setting.value, str) and setting.value in _TORCH_DTYPES:
        return Entry(_TORCH_DTYPES[setting.value], why)
    if isinstance(setting.value, NotLiteral):
        raise InputError(Location(trainer.path, setting.line, setting.col),
                         f"pipeline_dtype is not a literal ({setting.value.brief()}): verify reads literal values only")
    errors.append(f"{why} is not a torch dtype")
    return Entry("invalid", why)


def trainer_effective(trainer: TrainerPrecision) -> Effective:
    """The settings Lightning's own precision plugin gives a MegatronStrategy run (module docstring)."""
    flag = _unified(trainer.flag)
    why = trainer.where
    entries: dict[str, Entry] = {}
    errors: list[str] = [trainer.conflict] if trainer.conflict else []
    if flag is None:
        errors.append(f"{why}: Lightning raises ValueError: Precision {trainer.flag!r} is invalid")
        entries["precision_plugin"] = Entry("none", "the trainer cannot be built")
        entries["precision"] = Entry("invalid", why)
        return Effective("migrated", entries, tuple(errors), source=trainer.path)
    if flag in ("64-true", "transformer-engine", "transformer-engine-float16"):
        raise InputError(Location(trainer.path), f"{why}: Lightning's {flag!r} precision with MegatronStrategy is not "
                         "modelled by verify")
    note = "" if flag == trainer.flag else f" -> {flag!r} (Lightning alias)"
    if flag in ("bf16-mixed", "16-mixed"):
        dtype = "bf16" if flag == "bf16-mixed" else "fp16"
        entries["precision_plugin"] = Entry("MixedPrecision (Lightning)", f"{why}{note}: no MegatronMixedPrecision")
        entries["precision"] = Entry(dtype, f"{why}{note}: torch.autocast({dtype}) around MegatronStrategy.training_step")
        entries["amp_mode"] = Entry("O1", "fp32 weights under torch.autocast: no dtype_config, no Float16Module")
    elif flag in ("bf16-true", "16-true"):
        dtype = "bf16" if flag == "bf16-true" else "fp16"
        entries["precision_plugin"] = Entry("HalfPrecision (Lightning)", f"{why}{note}: no MegatronMixedPrecision")
        entries["precision"] = Entry(dtype, f"{why}{note}: the module is cast to {dtype}, no autocast")
        entries["amp_mode"] = Entry("half", "HalfPrecision.convert_module casts the weights: no Float16Module, fp32 main "
                                    "params only if the optimizer config asks for them (not read)")
    else:
        dtype = "fp32"
        entries["precision_plugin"] = Entry("Precision (Lightning)", f"{why}{note}: no MegatronMixedPrecision")
        entries["precision"] = Entry("fp32", f"{why}{note}")
        entries["amp_mode"] = Entry("fp32", "fp32 training")
    half_weights = flag in ("bf16-true", "16-true")
    entries["params_dtype"] = Entry(dtype if half_weights else "fp32", "HalfPrecision casts the module" if half_weights else
                                    "TransformerConfig default params_dtype=torch.float32 (no dtype_config overrides it)")
    entries["pipeline_dtype"] = _pipeline(trainer, errors)
    if half_weights:
        entries["grad_reduce_dtype"] = Entry(dtype, "gradients in the parameter dtype: MegatronStrategy's default "
                                             "DistributedDataParallelConfig(grad_reduce_in_fp32=False) (not read)")
    else:
        entries["grad_reduce_dtype"] = Entry("fp32", "fp32 parameters: Megatron-core DDP reduces in the parameter dtype")
    entries["fp8_format"] = Entry(None, "FP8 off: no plugin sets it (a model config's own fp8 fields, not read, would stay)")
    if flag == "16-mixed":
        entries["loss_scaler"] = Entry("invalid", "torch.amp.GradScaler of Lightning's MixedPrecision, never applied: "
                                       "Megatron runs the backward")
        errors.append(f"{why}: Lightning's MixedPrecision('16-mixed') calls GradScaler.unscale_ on Megatron's optimizer "
                      "although Megatron ran the backward without scaler.scale(): AssertionError 'Attempted unscale_ but "
                      "_scale is None' at the first optimizer step")
    else:
        entries["loss_scaler"] = Entry("none", "no loss scaling: not fp16")
    if trainer.conflict:  # the rows say what the flag alone would train with; the trainer is never built
        entries["precision_plugin"] = Entry("recipe plugin and a precision flag", trainer.conflict)
    return Effective("migrated", entries, tuple(errors), source=trainer.path)

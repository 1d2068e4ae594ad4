"""The one planner of the Python targets: which keyword arguments reproduce a PrecisionSpec.

The planner walks the spec in one order (precision, dtypes, gradient reduction, FP8, loss scaling,
O1, clipping, dropped keys) for every target; a `PythonTarget` (plan/targets.py) says what
differs: the release's defaults, the arguments written even when they equal their default (the
defaults trap, semantics notes section 5), the argument names and the wording of findings. What a
target cannot express becomes a Finding; nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from migrate.errors import InputError
from migrate.plan.dropped import clipping_changes, dropped_findings, no_clipping_reason, no_scaler_message, number
from migrate.spec import Finding, Origin, PrecisionSpec
from migrate.target_api.dtype import Dtype


@dataclass(frozen=True)
class LossArguments:
    """The names of the fp16 loss-scaling arguments."""

    initial: str
    window: str
    hysteresis: str
    constant: str  # a fixed scale (1.0: no scaler)
    floor: str  # the minimum scale NeMo 1.0 did not have


@dataclass(frozen=True)
class PythonTarget:
    """One release of a Python target, as the planner needs it.

    `defaults`: every keyword the release accepts, with its default (an argument absent from it is
    never written). `effective_defaults(compute)`: what leaving an argument out means where that is
    not its default value (e.g. `params_dtype=None` means fp32). `precision`: the argument and value
    that select each compute dtype; for a dtype absent from it, `no_precision_argument` gives the
    finding (code, message). `wording`: finding code -> message template ({product}, {compute}, ...);
    a code absent from it is not reported for this target. `clipping`: the gradient-clipping
    message when the legacy run did not clip, and when it clipped at another norm.
    """

    kind: str  # "nemo2" | "bridge": also picks the renderer's template
    release: str  # "2.7", "0.6.2"
    product: str  # how messages name the target: "NeMo 2.0", "Megatron Bridge"
    defaults: Mapping[str, Any]
    always: frozenset[str]
    precision: Mapping[str, tuple[str, Any]]
    allowed: Mapping[str, frozenset[str]]  # the strings each argument may hold
    loss: LossArguments
    fp8_weights: str  # the argument that keeps FP8 weights
    delayed_only: frozenset[str]  # FP8 arguments only delayed scaling reads
    wording: Mapping[str, str]
    clipping: tuple[str, str]  # (did not clip, clipped at {value})
    unsupported: str  # the error when a needed argument is not in `defaults` ({name})
    dropped: Mapping[str, tuple[str, str]]  # dropped setting code -> (severity, message template)
    retargeted: Mapping[str, str | None] = field(default_factory=dict)  # spec findings reworded (None: left out)
    effective_defaults: Callable[[str], Mapping[str, Any]] = lambda compute: {}
    no_precision_argument: tuple[str, str] | None = None
    mxfp8_weights_reuse: tuple[str, str] | None = None  # (argument, why) written with MXFP8 weights
    matching_recipe: Callable[[dict[str, Any]], str | None] | None = None  # a registered recipe equal to the call


@dataclass(frozen=True)
class Argument:
    name: str
    value: Any  # str | int | float | bool | None | Dtype
    origin: Origin


@dataclass(frozen=True)
class Plan:
    """Keyword arguments for the target's call (or the registered recipe they equal), OptimizerConfig
    fields, and the findings to report. `target` is the release written for ("2.7")."""

    target: str
    arguments: tuple[Argument, ...]
    optimizer_overrides: tuple[Argument, ...]
    findings: tuple[Finding, ...]
    api: PythonTarget = field(compare=False, repr=False)
    recipe: str | None = None

    def kwargs(self) -> dict[str, Any]:
        return {a.name: a.value for a in self.arguments}


def validate(argument: Argument, allowed: Mapping[str, frozenset[str]]) -> None:
    """Only values from known sets reach the generated code: no YAML text can inject code."""
    value = argument.value
    strings = allowed.get(argument.name)
    if isinstance(value, str) and (strings is None or value not in strings):
        raise ValueError(f"refusing to emit {argument.name}={value!r}")
    if not isinstance(value, (str, bool, int, float, Dtype, type(None))):
        raise ValueError(f"refusing to emit {argument.name} of type {type(value).__name__}")


def retarget(findings: tuple[Finding, ...], messages: Mapping[str, str | None]) -> list[Finding]:
    """The legacy reader's findings, with the target-specific ones reworded (None: left out)."""
    kept = []
    for finding in findings:
        if finding.code not in messages:
            kept.append(finding)
        elif messages[finding.code] is not None:
            kept.append(replace(finding, message=messages[finding.code]))
    return kept


class _Planner:
    def __init__(self, spec: PrecisionSpec, target: PythonTarget) -> None:
        self.spec = spec
        self.t = target
        self.compute = spec.compute_dtype.value
        self.effective = target.effective_defaults(self.compute)
        self.arguments: list[Argument] = []
        self.optimizer: list[Argument] = []
        self.findings: list[Finding] = retarget(spec.findings, target.retargeted)

    def add(self, name: str, value: Any, origin: Origin) -> None:
        """Write `name=value` unless it means what leaving it out means (and it is not always written)."""
        default = self.effective[name] if name in self.effective else self.t.defaults.get(name)
        if name not in self.t.always and value == default:
            return
        if name not in self.t.defaults:
            raise InputError(origin.location(self.spec.source), self.t.unsupported.format(name=name))
        argument = Argument(name, value, origin)
        validate(argument, self.t.allowed)
        self.arguments.append(argument)

    def report(self, code: str, severity: str, origin: Origin | None = None, **values: Any) -> None:
        """A finding worded by the target; nothing when the target has no wording for `code`."""
        template = self.t.wording.get(code)
        if template is not None:
            self.findings.append(Finding(code, severity, template.format(product=self.t.product, **values), origin))

    def plan(self) -> Plan:
        s = self.spec
        selected = self.t.precision.get(self.compute)
        if selected is not None:
            self.add(*selected, s.compute_dtype.origin)
        elif self.t.no_precision_argument is not None:
            code, message = self.t.no_precision_argument
            self.findings.append(Finding(code, "info", message, s.compute_dtype.origin))
        self.add("params_dtype", Dtype(s.params_dtype.value), s.params_dtype.origin)
        self.add("pipeline_dtype", Dtype(s.pipeline_dtype.value), s.pipeline_dtype.origin)
        self._grad_reduce()
        self._fp8()
        self._loss_scaling()
        self._amp_mode()
        self._clipping()
        self.findings.extend(dropped_findings(s, self.t.dropped))
        arguments = tuple(self.arguments)
        matching = self.t.matching_recipe
        recipe = matching({a.name: a.value for a in arguments}) if matching is not None else None
        return Plan(self.t.release, arguments, tuple(self.optimizer), tuple(self.findings), self.t, recipe)

    def _grad_reduce(self) -> None:
        reduce = self.spec.grad_reduce_dtype
        if reduce.value == "fp32":
            self.add("grad_reduce_in_fp32", True, reduce.origin)
        elif reduce.value == self.compute:
            self.add("grad_reduce_in_fp32", False, reduce.origin)
        else:  # neither target reduces in a third dtype
            self.add("grad_reduce_in_fp32", True, reduce.origin)
            self.report("grad-reduce-dtype", "warning", reduce.origin, reduce=reduce.value, compute=self.compute)

    def _fp8(self) -> None:
        f = self.spec.fp8
        if not f.active.value:
            return
        self.add("fp8", f.format.value, f.format.origin)
        self.add("fp8_recipe", f.recipe.value, f.recipe.origin)
        delayed = f.recipe.value == "delayed"
        if delayed:
            # Only DelayedScaling consumes these (Megatron-core get_fp8_recipe, section 4.2).
            self.add("fp8_margin", f.margin.value, f.margin.origin)
            self.add("fp8_amax_history_len", f.amax_history_len.value, f.amax_history_len.origin)
            self.add("fp8_amax_compute_algo", f.amax_compute_algo.value, f.amax_compute_algo.origin)
            self.add("fp8_wgrad", f.wgrad.value, f.wgrad.origin)
            if not f.wgrad.value:
                self.report("fp8-wgrad-no-op", "info", f.wgrad.origin)
            if "fp8_dot_product_attention" in self.t.delayed_only:
                self.add("fp8_dot_product_attention", f.dot_product_attention.value, f.dot_product_attention.origin)
            self.add("fp8_multi_head_attention", f.multi_head_attention.value, f.multi_head_attention.origin)
        if "fp8_dot_product_attention" not in self.t.delayed_only:
            self.add("fp8_dot_product_attention", f.dot_product_attention.value, f.dot_product_attention.origin)
        if f.first_last_layers_bf16.value:
            self.add("first_last_layers_bf16", True, f.first_last_layers_bf16.origin)
            # The target's 0/0 overwrites Megatron-core's 1/1 (section 2.1, last row).
            start, end = f.num_layers_at_start_in_bf16, f.num_layers_at_end_in_bf16
            self.add("num_layers_at_start_in_bf16", start.value, start.origin)
            self.add("num_layers_at_end_in_bf16", end.value, end.origin)
            if delayed:
                self.report("bf16-layers-with-delayed", "warning", f.first_last_layers_bf16.origin)
        if f.params.value:
            self.add(self.t.fp8_weights, True, f.params.origin)
            if f.recipe.value == "mxfp8" and self.t.mxfp8_weights_reuse is not None:
                name, why = self.t.mxfp8_weights_reuse
                self.add(name, True, Origin.derived(why))

    def _loss_scaling(self) -> None:
        s = self.spec
        loss, names = s.loss_scaling, self.t.loss
        if self.compute == "fp16":
            if loss.enabled.value:
                self.add(names.initial, number(loss.initial_scale.value), loss.initial_scale.origin)
                self.add(names.window, loss.growth_interval.value, loss.growth_interval.origin)
                self.add(names.hysteresis, loss.hysteresis.value, loss.hysteresis.origin)
                self.report("loss-scale-floor", "warning", loss.min_scale.origin, floor=names.floor)
            else:
                self.add(names.constant, 1.0, loss.enabled.origin)
                self.findings.append(
                    Finding("no-loss-scaler", "warning", no_scaler_message(s, names.constant), loss.enabled.origin)
                )
            self.report("fp16-loss-scaling", "warning", s.trainer_precision.origin)
        elif loss.enabled.value:
            self.report("loss-scaling-dropped", "warning", loss.enabled.origin, compute=self.compute)

    def _amp_mode(self) -> None:
        if self.spec.amp_mode.value == "O1":
            self.report("o1-autocast", "warning", self.spec.amp_mode.origin, compute=self.compute)

    def _clipping(self) -> None:
        clip = self.spec.gradient_clip_val
        if not clipping_changes(self.spec):
            return
        self.optimizer.append(Argument("clip_grad", float(clip.value), clip.origin))
        template = self.t.clipping[0 if clip.value == 0.0 else 1]
        message = template.format(
            product=self.t.product, reason=no_clipping_reason(self.spec), value=clip.value, clip_grad=float(clip.value)
        )
        self.findings.append(Finding("gradient-clipping", "warning", message, clip.origin))


def plan_python(spec: PrecisionSpec, target: PythonTarget) -> Plan:
    """Arguments for the target's precision call, plus what it cannot express."""
    return _Planner(spec, target).plan()

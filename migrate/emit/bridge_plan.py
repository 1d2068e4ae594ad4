"""What Megatron Bridge's `MixedPrecisionConfig` must say to reproduce a PrecisionSpec.

Bridge's defaults are not NeMo 1.0's (research notes, section 1 and 6): its default FP8 recipe
is current scaling ("tensorwise") where NeMo 1.0 ran delayed scaling; it reduces gradients in
fp32 by default; its first/last BF16 layer counts default to 0; `setup()` copies even None
values onto the model. So the plan writes the precision, both dtypes, the gradient-reduction
dtype and every FP8 field that the legacy run depends on explicitly. When the result equals a
registered recipe exactly, the plan names it. What Bridge cannot express becomes a Finding.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from migrate.emit import bridge_snapshot as snapshot
from migrate.emit.dropped import clipping_changes, dropped_settings, no_clipping_reason, no_scaler_message, number
from migrate.emit.nemo2_plan import Argument, Dtype
from migrate.spec import Finding, Origin, PrecisionSpec

_ALLOWED_STRINGS = {
    "fp8": set(snapshot.FP8_FORMATS),
    "fp8_recipe": set(snapshot.FP8_RECIPES),
    "fp8_amax_compute_algo": set(snapshot.AMAX_ALGOS),
}

# Findings of the legacy reader whose wording names NeMo 2.0: the same fact, said for Bridge.
_RETARGETED = {
    "reduce-amax-false": "reduce_amax: False cannot be expressed in Megatron Bridge: Megatron-core always all-reduces "
    "the amax across the amax-reduction group (tp_only_amax_red=True on the model provider only narrows the group), "
    "so in multi-GPU runs the FP8 scaling factors differ from the legacy per-rank ones",
    "tp-only-amax-red": "tp_only_amax_red: True is not a MixedPrecisionConfig field: set it on the model provider "
    "(e.g. GPTModelProvider(tp_only_amax_red=True)); setup() leaves it alone",
    "fp8-interval-dropped": "fp8_interval is ignored by Transformer Engine >= 1.8 and MixedPrecisionConfig has no "
    "such field; dropped",
}


@dataclass(frozen=True)
class BridgePlan:
    """Keyword arguments for MixedPrecisionConfig, or the registered recipe they equal."""

    arguments: tuple[Argument, ...]
    optimizer_overrides: tuple[Argument, ...]
    findings: tuple[Finding, ...]
    recipe: str | None  # a registered recipe name equal to MixedPrecisionConfig(**kwargs())

    def kwargs(self) -> dict[str, Any]:
        return {a.name: a.value for a in self.arguments}


def _validate(argument: Argument) -> None:
    """Only snapshot fields and values from known sets reach the generated code."""
    if argument.name not in snapshot.FIELDS:
        raise ValueError(f"{argument.name} is not a MixedPrecisionConfig field")
    value = argument.value
    allowed = _ALLOWED_STRINGS.get(argument.name)
    if isinstance(value, str) and (allowed is None or value not in allowed):
        raise ValueError(f"refusing to emit {argument.name}={value!r}")
    if not isinstance(value, (str, bool, int, float, Dtype, type(None))):
        raise TypeError(f"refusing to emit {argument.name} of type {type(value).__name__}")


def retarget(findings: tuple[Finding, ...], messages: dict[str, str | None]) -> list[Finding]:
    """The legacy reader's findings, with the target-specific ones reworded (None: left out)."""
    kept = []
    for finding in findings:
        if finding.code not in messages:
            kept.append(finding)
        elif messages[finding.code] is not None:
            kept.append(replace(finding, message=messages[finding.code]))
    return kept


class _Planner:
    def __init__(self, spec: PrecisionSpec) -> None:
        self.spec = spec
        self.arguments: list[Argument] = []
        self.optimizer: list[Argument] = []
        self.findings: list[Finding] = retarget(spec.findings, _RETARGETED)

    def add(self, name: str, value: Any, origin: Origin, always: bool = False) -> None:
        if always or value != snapshot.FIELDS[name]:
            argument = Argument(name, value, origin)
            _validate(argument)
            self.arguments.append(argument)

    def warn(self, code: str, message: str, origin: Origin | None = None) -> None:
        self.findings.append(Finding(code, "warning", message, origin))

    def note(self, code: str, message: str, origin: Origin | None = None) -> None:
        self.findings.append(Finding(code, "info", message, origin))

    def plan(self) -> BridgePlan:
        s = self.spec
        compute = s.compute_dtype.value
        if compute in ("bf16", "fp16"):
            self.add(compute, True, s.compute_dtype.origin)
        else:
            self.note(
                "bridge-fp32",
                "fp32 training: bf16 and fp16 stay False. MixedPrecisionConfig's fp32 field is inert (no model, "
                "optimizer or DDP attribute has that name), so it is not set.",
                s.compute_dtype.origin,
            )
        # setup() copies None too: both dtypes are always written (research notes, section 6.6).
        self.add("params_dtype", Dtype(s.params_dtype.value), s.params_dtype.origin, always=True)
        self.add("pipeline_dtype", Dtype(s.pipeline_dtype.value), s.pipeline_dtype.origin, always=True)
        self._grad_reduce()
        self._fp8()
        self._loss_scaling()
        self._amp_mode()
        self._clipping()
        self._dropped_keys()
        arguments = tuple(self.arguments)
        recipe = snapshot.matching_recipe({a.name: a.value for a in arguments})
        return BridgePlan(arguments, tuple(self.optimizer), tuple(self.findings), recipe)

    def _grad_reduce(self) -> None:
        s = self.spec
        reduce = s.grad_reduce_dtype
        # Bridge defaults to True while Megatron-core's DDP config defaults to False: always written.
        if reduce.value == "fp32":
            self.add("grad_reduce_in_fp32", True, reduce.origin, always=True)
        elif reduce.value == s.compute_dtype.value:
            self.add("grad_reduce_in_fp32", False, reduce.origin, always=True)
        else:
            self.add("grad_reduce_in_fp32", True, reduce.origin, always=True)
            self.warn(
                "grad-reduce-dtype",
                f"NeMo 1.0 reduced gradients in {reduce.value} while training in {s.compute_dtype.value}; Megatron "
                "Bridge reduces either in fp32 or in the parameter dtype. Kept fp32.",
                reduce.origin,
            )

    def _fp8(self) -> None:
        f = self.spec.fp8
        if not f.active.value:
            return
        self.add("fp8", f.format.value, f.format.origin, always=True)
        # Bridge's default is "tensorwise"; NeMo 1.0's FP8 is delayed scaling: always written.
        self.add("fp8_recipe", f.recipe.value, f.recipe.origin, always=True)
        if f.recipe.value == "delayed":
            self.add("fp8_margin", f.margin.value, f.margin.origin, always=True)
            self.add("fp8_amax_history_len", f.amax_history_len.value, f.amax_history_len.origin, always=True)
            self.add("fp8_amax_compute_algo", f.amax_compute_algo.value, f.amax_compute_algo.origin, always=True)
            if not f.wgrad.value:
                self.add("fp8_wgrad", False, f.wgrad.origin)
                self.note(
                    "fp8-wgrad-no-op",
                    "fp8_wgrad=False reaches Transformer Engine as override_linear_precision, which TE >= 2.0 "
                    "silently ignores: the wgrad GEMM runs in FP8 there",
                    f.wgrad.origin,
                )
            self.add("fp8_multi_head_attention", f.multi_head_attention.value, f.multi_head_attention.origin)
        self.add("fp8_dot_product_attention", f.dot_product_attention.value, f.dot_product_attention.origin)
        if f.first_last_layers_bf16.value:
            self.add("first_last_layers_bf16", True, f.first_last_layers_bf16.origin)
            # Bridge's 0/0 overwrites Megatron-core's 1/1: the counts are always written.
            self.add(
                "num_layers_at_start_in_bf16",
                f.num_layers_at_start_in_bf16.value,
                f.num_layers_at_start_in_bf16.origin,
                always=True,
            )
            self.add(
                "num_layers_at_end_in_bf16",
                f.num_layers_at_end_in_bf16.value,
                f.num_layers_at_end_in_bf16.origin,
                always=True,
            )
            if f.recipe.value == "delayed":
                self.warn(
                    "bf16-layers-with-delayed",
                    "Megatron-core refuses first_last_layers_bf16 with delayed scaling (ValueError at model "
                    "setup); choose a current-scaling recipe or drop the BF16 edge layers",
                    f.first_last_layers_bf16.origin,
                )
        if f.params.value:
            # A constructor fp8_param= is overwritten by fp8_param_gather: only the latter is written.
            self.add("fp8_param_gather", True, f.params.origin)
            if f.recipe.value == "mxfp8":
                self.add(
                    "reuse_grad_buf_for_mxfp8_param_ag",
                    True,
                    Origin.derived("Bridge requires it for MXFP8 with fp8_param_gather (outside Megatron-FSDP)"),
                )

    def _loss_scaling(self) -> None:
        s = self.spec
        loss = s.loss_scaling
        compute = s.compute_dtype.value
        if compute == "fp16":
            if loss.enabled.value:
                self.add("initial_loss_scale", number(loss.initial_scale.value), loss.initial_scale.origin)
                self.add("loss_scale_window", loss.growth_interval.value, loss.growth_interval.origin)
                self.add("hysteresis", loss.hysteresis.value, loss.hysteresis.origin)
                self.warn(
                    "loss-scale-floor",
                    "NeMo 1.0's GradScaler had no minimum loss scale; Megatron Bridge floors it at min_loss_scale "
                    "(must be > 0, default 1.0). Runs whose scale fell below 1.0 will differ.",
                    loss.min_scale.origin,
                )
            else:
                self.add("loss_scale", 1.0, loss.enabled.origin)
                self.warn("no-loss-scaler", no_scaler_message(s, "loss_scale"), loss.enabled.origin)
        elif loss.enabled.value:
            self.warn(
                "loss-scaling-dropped",
                f"NeMo 1.0 applied fp16 loss scaling (trainer precision 16) to a {compute} model; Megatron Bridge "
                "scales only fp16.",
                loss.enabled.origin,
            )

    def _amp_mode(self) -> None:
        s = self.spec
        if s.amp_mode.value == "O1":
            self.warn(
                "o1-autocast",
                f"NeMo 1.0 trained O1: fp32 weights with {s.compute_dtype.value} compute (autocast). With "
                f"{s.compute_dtype.value}=True Megatron Bridge casts the model to {s.compute_dtype.value} and keeps fp32 "
                "main parameters in the optimizer (O2-like); params_dtype only sets the initialisation dtype, and "
                "MixedPrecisionConfig's autocast_enabled has no effect. Expect small numeric differences and less "
                "memory. (Megatron-core's own enable_autocast on the model provider is the closest O1 equivalent; "
                "nemo-migrate does not emit it.)",
                s.amp_mode.origin,
            )

    def _clipping(self) -> None:
        clip = self.spec.gradient_clip_val
        if not clipping_changes(self.spec):
            return
        self.optimizer.append(Argument("clip_grad", float(clip.value), clip.origin))
        what = (
            f"did not clip gradients ({no_clipping_reason(self.spec)})"
            if clip.value == 0.0
            else (f"clipped gradients at {clip.value}")
        )
        self.warn(
            "gradient-clipping",
            f"NeMo 1.0 {what}; Megatron-core's OptimizerConfig clips at 1.0 by default: pass "
            f"clip_grad={float(clip.value)} (see optimizer_config_overrides) in ConfigContainer(optimizer=...).",
            clip.origin,
        )

    def _dropped_keys(self) -> None:
        messages = {
            "fp16-lm-cross-entropy": "fp16_lm_cross_entropy: True computed the LM loss in half precision on the legacy "
            "path; it is not a MixedPrecisionConfig field and Megatron-core computes the loss in fp32 unless the "
            "model provider says otherwise. Dropped.",
            "grad-allreduce-chunk": "grad_allreduce_chunk_size_mb: {value} has no MixedPrecisionConfig field; the "
            "closest knob is DistributedDataParallelConfig.bucket_size (in parameters, not MB). Dropped.",
            "fsdp": "fsdp: True (PyTorch FSDP in NeMo 1.0) is a distributed setting in Megatron Bridge (e.g. "
            "use_megatron_fsdp), not part of MixedPrecisionConfig. Configure it there.",
        }
        for item in dropped_settings(self.spec):
            severity = "info" if item.code == "grad-allreduce-chunk" and item.value == 125 else "warning"
            self.findings.append(Finding(item.code, severity, messages[item.code].format(value=item.value), item.origin))


def plan_bridge(spec: PrecisionSpec) -> BridgePlan:
    """Arguments for Megatron Bridge's MixedPrecisionConfig, plus what cannot be expressed."""
    return _Planner(spec).plan()

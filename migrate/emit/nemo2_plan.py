"""What the NeMo 2.0 plugin call must say to reproduce a PrecisionSpec.

Every argument is compared with the NeMo 2.x default of the chosen release and kept only when
the legacy effective value differs (the defaults trap, semantics notes section 5). What NeMo 2.0
cannot express becomes a Finding; nothing is dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrate.emit.dropped import clipping_changes, dropped_settings, no_clipping_reason, no_scaler_message, number
from migrate.emit.signatures import SIGNATURES, fp8_weights_argument
from migrate.errors import InputError
from migrate.legacy.semantics import AMAX_ALGOS, FP8_RECIPES
from migrate.spec import Finding, Origin, PrecisionSpec, Setting


@dataclass(frozen=True)
class Dtype:
    """A torch dtype in generated code (`torch.bfloat16`)."""

    name: str  # "fp32" | "fp16" | "bf16"

    @property
    def attribute(self) -> str:
        return {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}[self.name]


@dataclass(frozen=True)
class Argument:
    name: str
    value: Any  # str | int | float | bool | None | Dtype
    origin: Origin


@dataclass(frozen=True)
class Plan:
    target: str
    arguments: tuple[Argument, ...]
    optimizer_overrides: tuple[Argument, ...]
    findings: tuple[Finding, ...]

    def kwargs(self) -> dict[str, Any]:
        return {a.name: a.value for a in self.arguments}


PRECISION_LITERALS = {"bf16": "bf16-mixed", "fp16": "16-mixed", "fp32": "32"}
_ALLOWED_STRINGS = {
    "precision": set(PRECISION_LITERALS.values()),
    "fp8": {"e4m3", "hybrid"},
    "fp8_recipe": set(FP8_RECIPES),
    "fp8_amax_compute_algo": set(AMAX_ALGOS),
}


def _nemo2_pipeline_default(compute: str) -> str:
    # MegatronMixedPrecision: pipeline_dtype defaults to bf16 for bf16, else fp32 (section 3.2).
    return "bf16" if compute == "bf16" else "fp32"


def _validate(argument: Argument) -> None:
    """Only values from known sets reach the generated code: no YAML text can inject code."""
    value = argument.value
    allowed = _ALLOWED_STRINGS.get(argument.name)
    if isinstance(value, str) and (allowed is None or value not in allowed):
        raise ValueError(f"refusing to emit {argument.name}={value!r}")
    if not isinstance(value, (str, bool, int, float, Dtype, type(None))):
        raise ValueError(f"refusing to emit {argument.name} of type {type(value).__name__}")


class _Planner:
    def __init__(self, spec: PrecisionSpec, target: str) -> None:
        self.spec = spec
        self.target = target
        self.signature = SIGNATURES[target]
        self.arguments: list[Argument] = []
        self.optimizer: list[Argument] = []
        self.findings: list[Finding] = list(spec.findings)

    def add(self, name: str, value: Any, origin: Origin, default: Any = None, always: bool = False) -> None:
        if name not in self.signature:
            raise self.unsupported(name, origin)
        nemo2_default = self.signature[name] if default is None else default
        if always or value != nemo2_default:
            argument = Argument(name, value, origin)
            _validate(argument)
            self.arguments.append(argument)

    def unsupported(self, name: str, origin: Origin) -> InputError:
        return InputError(
            origin.location(self.spec.source),
            f"keeping this config's behaviour needs MegatronMixedPrecision({name}=...), which NeMo {self.target} "
            "does not accept; choose a newer --target-nemo",
        )

    def warn(self, code: str, message: str, origin: Origin | None = None) -> None:
        self.findings.append(Finding(code, "warning", message, origin))

    def plan(self) -> Plan:
        s = self.spec
        compute = s.compute_dtype.value
        self.add("precision", PRECISION_LITERALS[compute], s.compute_dtype.origin, always=True)
        self.add("params_dtype", Dtype(s.params_dtype.value), s.params_dtype.origin, default=Dtype("fp32"))
        self.add(
            "pipeline_dtype",
            Dtype(s.pipeline_dtype.value),
            s.pipeline_dtype.origin,
            default=Dtype(_nemo2_pipeline_default(compute)),
        )
        self._grad_reduce()
        self._fp8()
        self._loss_scaling()
        self._amp_mode()
        self._clipping()
        self._dropped_keys()
        return Plan(self.target, tuple(self.arguments), tuple(self.optimizer), tuple(self.findings))

    def _grad_reduce(self) -> None:
        s = self.spec
        reduce = s.grad_reduce_dtype
        if reduce.value == "fp32":
            self.add("grad_reduce_in_fp32", True, reduce.origin)
        elif reduce.value == s.compute_dtype.value:
            self.add("grad_reduce_in_fp32", False, reduce.origin)
        else:
            self.warn(
                "grad-reduce-dtype",
                f"NeMo 1.0 reduced gradients in {reduce.value} while training in {s.compute_dtype.value}; NeMo 2.0 "
                "reduces either in fp32 or in the parameter dtype. Kept fp32.",
                reduce.origin,
            )

    def _fp8(self) -> None:
        f = self.spec.fp8
        if not f.active.value:
            return
        self.add("fp8", f.format.value, f.format.origin)
        if f.recipe.value != "delayed":
            self.add("fp8_recipe", f.recipe.value, f.recipe.origin, default="delayed")
        if f.recipe.value == "delayed":
            # Only DelayedScaling consumes these (Megatron-core get_fp8_recipe, section 4.2).
            self.add("fp8_margin", f.margin.value, f.margin.origin)
            self.add("fp8_amax_history_len", f.amax_history_len.value, f.amax_history_len.origin)
            self.add("fp8_amax_compute_algo", f.amax_compute_algo.value, f.amax_compute_algo.origin)
            self.add("fp8_wgrad", f.wgrad.value, f.wgrad.origin)
            self.add(
                "fp8_dot_product_attention", f.dot_product_attention.value, f.dot_product_attention.origin
            )
            self.add("fp8_multi_head_attention", f.multi_head_attention.value, f.multi_head_attention.origin)
        if f.first_last_layers_bf16.value:
            self.add("first_last_layers_bf16", True, f.first_last_layers_bf16.origin)
            # The plugin's 0/0 overwrites Megatron-core's 1/1 (section 2.1, last row).
            self.add(
                "num_layers_at_start_in_bf16",
                f.num_layers_at_start_in_bf16.value,
                f.num_layers_at_start_in_bf16.origin,
                default=0,
            )
            self.add(
                "num_layers_at_end_in_bf16",
                f.num_layers_at_end_in_bf16.value,
                f.num_layers_at_end_in_bf16.origin,
                default=0,
            )
        if f.params.value:
            self.add(fp8_weights_argument(self.target), True, f.params.origin, default=False)

    def _loss_scaling(self) -> None:
        s = self.spec
        loss = s.loss_scaling
        compute = s.compute_dtype.value
        if compute == "fp16":
            if loss.enabled.value:
                self.add(
                    "fp16_initial_loss_scale", number(loss.initial_scale.value), loss.initial_scale.origin
                )
                self.add("fp16_loss_scale_window", loss.growth_interval.value, loss.growth_interval.origin)
                self.add("fp16_hysteresis", loss.hysteresis.value, loss.hysteresis.origin)
                self.warn(
                    "loss-scale-floor",
                    "NeMo 1.0's GradScaler had no minimum loss scale; NeMo 2.0 floors it at fp16_min_loss_scale "
                    "(must be > 0, default 1.0). Runs whose scale fell below 1.0 will differ.",
                    loss.min_scale.origin,
                )
            else:
                self.add("fp16_loss_scale", 1.0, loss.enabled.origin)
                self.warn("no-loss-scaler", no_scaler_message(s, "fp16_loss_scale"), loss.enabled.origin)
            self.warn(
                "fp16-loss-scaling",
                "fp16 in NeMo 2.0: by code reading, no NeMo 2.0 path sets Megatron-core's grad_scale_func, so the "
                "loss may not be scaled while gradients are unscaled (NeMo issue #12102; unconfirmed at runtime). "
                "Check the first steps' gradient norm, or train in bf16.",
                s.trainer_precision.origin,
            )
        elif loss.enabled.value:
            self.warn(
                "loss-scaling-dropped",
                f"NeMo 1.0 applied fp16 loss scaling (trainer precision 16) to a {compute} model; NeMo 2.0 scales only fp16.",
                loss.enabled.origin,
            )

    def _amp_mode(self) -> None:
        s = self.spec
        if s.amp_mode.value == "O1":
            self.warn(
                "o1-autocast",
                f"NeMo 1.0 trained O1: fp32 weights with {s.compute_dtype.value} compute (autocast, or FSDP mixed precision). "
                "NeMo 2.0 always keeps half-precision weights with fp32 main parameters (O2-like); no argument "
                "restores O1 (autocast_enabled has no effect). Expect small numeric differences and less memory.",
                s.amp_mode.origin,
            )

    def _clipping(self) -> None:
        clip = self.spec.gradient_clip_val
        if not clipping_changes(self.spec):
            return
        self.optimizer.append(Argument("clip_grad", float(clip.value), clip.origin))
        if clip.value == 0.0:
            self.warn(
                "gradient-clipping",
                f"NeMo 1.0 did not clip gradients ({no_clipping_reason(self.spec)}); NeMo 2.0's OptimizerConfig clips at "
                "1.0 by default: pass clip_grad=0.0 to Megatron-core's OptimizerConfig. Do not pass gradient_clip_val "
                "to nl.Trainer together with the plugin.",
                clip.origin,
            )
        else:
            self.warn(
                "gradient-clipping",
                f"gradient clipping moves from nl.Trainer(gradient_clip_val) to OptimizerConfig(clip_grad={clip.value}) "
                "(Megatron-core); passing gradient_clip_val to nl.Trainer with the plugin raises.",
                clip.origin,
            )

    def _dropped_keys(self) -> None:
        messages = {
            "fp16-lm-cross-entropy": "fp16_lm_cross_entropy: True computed the LM loss in half precision on the legacy "
            "path; Megatron-core (NeMo 2.0) always computes it in fp32. Dropped.",
            "grad-allreduce-chunk": "grad_allreduce_chunk_size_mb: {value} has no NeMo 2.0 argument; the closest knob "
            "is DistributedDataParallelConfig.bucket_size (in parameters, not MB). Dropped.",
            "fsdp": "fsdp: True (PyTorch FSDP in NeMo 1.0) is a strategy setting in NeMo 2.0 (nl.MegatronStrategy); "
            "it is not part of the precision plugin. Configure it there.",
        }
        for item in dropped_settings(self.spec):
            # bucketing only changes communication, so the default chunk size is a note
            severity = "info" if item.code == "grad-allreduce-chunk" and item.value == 125 else "warning"
            message = messages[item.code].format(value=item.value)
            self.findings.append(Finding(item.code, severity, message, item.origin))


def plan_nemo2(spec: PrecisionSpec, target: str) -> Plan:
    """Arguments for `nl.MegatronMixedPrecision` on NeMo `target`, plus what cannot be expressed."""
    return _Planner(spec, target).plan()


__all__ = ["Argument", "Dtype", "Plan", "plan_nemo2", "Setting"]

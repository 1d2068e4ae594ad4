"""What a NeMo AutoModel YAML must say to reproduce a PrecisionSpec.

AutoModel trains with FSDP2: the stored dtype (`model.torch_dtype`) is what the optimizer sees,
and `distributed.mp_policy` sets the compute and reduction dtypes. NeMo 1.0's O2 (half weights,
fp32 main weights and Adam state) becomes fp32 storage with a half-precision `param_dtype`;
O1 (fp32 weights under autocast) becomes fp32 storage with `distributed.autocast_dtype`. FP8 is
torchao dynamic scaling, not Transformer Engine delayed scaling: said in a comment and a warning.
Research notes section 4: AutoModel 0.7.0 changed the mp_policy defaults and rejects the dtype
spellings "fp32"/"fp16", so every mp_policy field is written, spelled "float32"/"bfloat16"/"float16".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrate.plan.dropped import dropped_findings, number
from migrate.plan.python import retarget
from migrate.spec import Finding, Origin, PrecisionSpec
from migrate.target_api.automodel import DTYPE_NAMES

# apex FusedAdam and its NeMo subclasses run in adam_w_mode (decoupled weight decay) by default
_ADAMW = {"fused_adam", "megatron_fused_adam", "distributed_fused_adam", "mcore_distributed_optim", "adamw"}
_OPTIMIZERS = {name: "torch.optim.AdamW" for name in _ADAMW} | {"adam": "torch.optim.Adam"}

_DROPPED = {
    "fp16-lm-cross-entropy": (
        "warning",
        "fp16_lm_cross_entropy: True computed the LM loss in half precision; AutoModel has no such setting. Dropped.",
    ),
    "grad-allreduce-chunk": (
        "info",
        "grad_allreduce_chunk_size_mb: {value} (communication bucketing) has no AutoModel precision setting. Dropped.",
    ),
    "fsdp": ("info", "fsdp: True: AutoModel shards with FSDP2 by default (distributed.strategy: fsdp2)"),
}
# These facts are restated inside the torchao finding, where they apply.
_RETARGETED: dict[str, str | None] = {
    "reduce-amax-false": None,
    "tp-only-amax-red": None,
    "fp8-interval-dropped": None,
}


@dataclass(frozen=True)
class Entry:
    """One YAML key to write: its path from the document root, its value, and a short comment."""

    path: tuple[str, ...]
    value: Any  # str | bool | int | float | list[str]
    comment: str
    dtype: bool = False  # a dtype name: other spellings of the same dtype count as equal


@dataclass(frozen=True)
class AutomodelPlan:
    entries: tuple[Entry, ...]
    findings: tuple[Finding, ...]

    def value(self, *path: str) -> Any:
        return next(e.value for e in self.entries if e.path == path)


def _from(origin: Origin) -> str:
    return f"from {origin.describe()}"


class _Planner:
    def __init__(self, spec: PrecisionSpec) -> None:
        self.spec = spec
        self.entries: list[Entry] = []
        self.findings: list[Finding] = retarget(spec.findings, _RETARGETED)

    def put(self, path: str, value: Any, comment: str, dtype: bool = False) -> None:
        self.entries.append(Entry(tuple(path.split(".")), value, comment, dtype))

    def warn(self, code: str, message: str, origin: Origin | None = None) -> None:
        self.findings.append(Finding(code, "warning", message, origin))

    def note(self, code: str, message: str, origin: Origin | None = None) -> None:
        self.findings.append(Finding(code, "info", message, origin))

    def plan(self) -> AutomodelPlan:
        self._dtypes()
        self._optimizer()
        self._fp8()
        self._findings()
        return AutomodelPlan(tuple(self.entries), tuple(self.findings))

    def _dtypes(self) -> None:
        s = self.spec
        compute = s.compute_dtype.value
        # Every converted config is a training run (roles skip inference and export configs), so O2's
        # fp32 master weights are part of it even when the file names no optimizer.
        self.put(
            "model.torch_dtype",
            "float32",
            f"fp32 storage: the FSDP2 shards are the fp32 master weights ({_from(s.params_dtype.origin)})",
            dtype=True,
        )
        half = s.amp_mode.value == "O2" and compute != "fp32"
        param = compute if half else "fp32"
        self.put(
            "distributed.mp_policy.param_dtype",
            DTYPE_NAMES[param],
            f"compute dtype ({_from(s.compute_dtype.origin)})"
            if half
            else f"weights stay fp32 ({_from(s.amp_mode.origin)})",
            dtype=True,
        )
        self.put(
            "distributed.mp_policy.reduce_dtype",
            DTYPE_NAMES[s.grad_reduce_dtype.value],
            f"gradient reduction ({_from(s.grad_reduce_dtype.origin)})",
            dtype=True,
        )
        self.put(
            "distributed.mp_policy.output_dtype",
            DTYPE_NAMES[param],
            "written: AutoModel 0.7.0 defaults to None, later versions to bfloat16",
            dtype=True,
        )
        self.put(
            "distributed.mp_policy.cast_forward_inputs",
            True,
            "written: AutoModel 0.7.0 turns an omitted value into false",
        )
        if s.amp_mode.value == "O1":
            self.put(
                "distributed.autocast_dtype",
                DTYPE_NAMES[compute],
                f"O1: torch.autocast over fp32 weights ({_from(s.amp_mode.origin)})",
                dtype=True,
            )

    def _optimizer(self) -> None:
        s = self.spec
        name = s.optimizer.value
        if name is None:
            return
        target = _OPTIMIZERS.get(name)
        if target is None:
            self.note(
                "optimizer-not-mapped",
                f"optimizer {name!r} has no AutoModel mapping here; with fp32 storage any torch optimizer keeps fp32 "
                "state. Transformer Engine's FusedAdam needs master_weights: true on half-precision storage.",
                s.optimizer.origin,
            )
            return
        self.put(
            "optimizer._target_",
            target,
            f"{name}: fp32 Adam state on fp32 storage ({_from(s.optimizer.origin)})",
        )

    def _fp8(self) -> None:
        f = self.spec.fp8
        if not f.active.value:
            why = "FP8 requested but inactive in the legacy run" if f.requested.value else "no FP8 in the legacy run"
            self.put("fp8.enabled", False, f"{why} ({_from(f.requested.origin)})")
            return
        self.put("fp8.enabled", True, f"{_from(f.requested.origin)}")
        self.put(
            "fp8.recipe_name",
            "tensorwise",
            "torchao dynamic per-tensor (current) scaling, NOT Transformer Engine delayed scaling",
        )
        gather = bool(f.params.value)
        why = f"FP8 weights ({_from(f.params.origin)})"
        self.put("fp8.enable_fsdp_float8_all_gather", gather, why)
        self.put("fp8.precompute_float8_dynamic_scale_for_fsdp", gather, why)
        self.put("fp8.filter_fqns", ["lm_head"], "the legacy output layer was not an FP8 layer either")
        self.put("compile.enabled", True, "torchao FP8 is only fast under torch.compile")
        self.put("compile.mode", "default", "")
        self.put("compile.fullgraph", False, "")
        self.put("compile.dynamic", False, "")
        lost = []
        if f.recipe.value == "delayed":
            lost.append(
                f"delayed scaling (margin {f.margin.value}, amax history {f.amax_history_len.value}, "
                f"{f.amax_compute_algo.value}) becomes per-step scaling from each tensor's current amax"
            )
        else:
            lost.append(f"the {f.recipe.value} recipe becomes torchao tensorwise scaling")
        if f.format.value == "e4m3":
            lost.append("gradients become E5M2 (torchao tensorwise) where the legacy run used E4M3 throughout")
        if not f.reduce_amax.value:
            lost.append("reduce_amax: False has no equivalent")
        if f.interval.value != 1:
            lost.append(f"fp8_interval {f.interval.value} has no equivalent")
        if f.dot_product_attention.value or f.multi_head_attention.value:
            lost.append("FP8 attention has no torchao equivalent: attention runs in the compute dtype")
        self.warn(
            "automodel-fp8-torchao",
            "AutoModel's fp8 block runs torchao float8 training (dynamic tensorwise scaling, HYBRID-like E4M3 forward / "
            "E5M2 gradients), not Transformer Engine: " + "; ".join(lost) + ". Expect different FP8 numerics. "
            "(model.backend.te_fp8 is TE current/block/mxfp8 scaling for AutoModel's custom models; it has no "
            "delayed option either.)",
            f.recipe.origin,
        )
        if f.first_last_layers_bf16.value:
            self.warn(
                "bf16-edge-layers",
                f"the first {f.num_layers_at_start_in_bf16.value} and last {f.num_layers_at_end_in_bf16.value} "
                "layers ran in BF16: add their module names to fp8.filter_fqns (matched as substrings)",
                f.first_last_layers_bf16.origin,
            )
        self.note(
            "automodel-fp8-fallback",
            "AutoModel converts only nn.Linear layers whose dimensions are multiples of 16, and silently trains the "
            "unconverted model if the torchao conversion fails: check the log for the FP8 conversion message",
        )

    def _findings(self) -> None:
        s = self.spec
        compute = s.compute_dtype.value
        if compute == "fp16":
            loss = s.loss_scaling
            scaled = (
                f"dynamic loss scaling (initial scale {number(loss.initial_scale.value)}, growth interval "
                f"{loss.growth_interval.value})"
                if loss.enabled.value
                else "no loss scaling"
            )
            self.warn(
                "automodel-fp16",
                f"the legacy run trained fp16 with {scaled}; these blocks set no loss scaling for FSDP2, so fp16 "
                "gradients may underflow. Prefer bf16, or check the recipe's gradient scaling.",
                loss.enabled.origin,
            )
        if s.peft.value and s.amp_mode.value == "O2":
            self.warn(
                "automodel-peft-memory",
                f"a PEFT run: the legacy O2 run kept the frozen base weights in {compute} with fp32 copies only for "
                "the trained adapters; fp32 storage (model.torch_dtype: float32) holds the whole frozen base model in "
                f"fp32, twice its {compute} memory. Compute numerics are unchanged ({compute} param_dtype either way); "
                f"set model.torch_dtype: {DTYPE_NAMES[compute]} if the base model does not fit.",
                s.peft.origin,
            )
        if s.amp_mode.value == "O2" and compute != "fp32":
            self.note(
                "o2-as-fsdp2",
                f"O2 ({compute} weights with fp32 main weights) is written as fp32 storage with {compute} "
                "compute: FSDP2 all-gathers the weights in the compute dtype, the optimizer updates fp32. "
                "Transformer Engine's FusedAdam with master_weights: true on bfloat16 storage is the lower-memory "
                "alternative.",
                s.amp_mode.origin,
            )
        self.note(
            "fsdp2-strategy",
            "distributed.mp_policy (and autocast_dtype) are read by AutoModel's fsdp2 strategy, its default; a recipe "
            "with distributed.strategy megatron_fsdp or ddp sets its precision elsewhere",
        )
        clip = s.gradient_clip_val
        if s.optimizer.value is not None and s.clipping_known:
            what = "did not clip gradients" if clip.value == 0.0 else f"clipped gradients at norm {clip.value}"
            self.note(
                "gradient-clipping",
                f"the legacy run {what}: set the same in the AutoModel recipe (not part of these blocks)",
                clip.origin,
            )
        self.findings.extend(dropped_findings(s, _DROPPED))


def plan_automodel(spec: PrecisionSpec) -> AutomodelPlan:
    """The AutoModel YAML keys that reproduce `spec`, plus what cannot be kept."""
    return _Planner(spec).plan()

"""The Python targets as the planner sees them: NeMo 2.x's plugin per release, and Megatron Bridge.

A NeMo 2.x release is a row of `migrate.target_api.nemo2.SIGNATURES`; `nemo2_target` turns it into
a PythonTarget. Bridge's description is `BRIDGE`. What differs between them is stated here once:

* NeMo 2.x writes an argument only where the legacy value differs from the plugin's default (its
  effective default: `params_dtype=None` means fp32, `pipeline_dtype=None` follows the compute dtype);
  `precision=` is always written.
* Bridge's defaults are not NeMo 1.0's (research notes, sections 1 and 6): its default FP8 recipe is
  current scaling ("tensorwise") where NeMo 1.0 ran delayed scaling; it reduces gradients in fp32 by
  default; its first/last BF16 layer counts default to 0; `setup()` copies even None values onto the
  model. So both dtypes, the gradient-reduction dtype and the FP8 fields the legacy run depends on are
  always written, and a plan equal to a registered recipe names it.
"""

from __future__ import annotations

from functools import cache

from migrate.plan.python import LossArguments, Plan, PythonTarget, plan_python
from migrate.spec import PrecisionSpec
from migrate.target_api import bridge as bridge_api
from migrate.target_api import nemo2 as nemo2_api
from migrate.target_api.dtype import Dtype

_COMMON_WORDING = {
    "grad-reduce-dtype": "NeMo 1.0 reduced gradients in {reduce} while training in {compute}; {product} reduces "
    "either in fp32 or in the parameter dtype. Kept fp32.",
    "loss-scale-floor": "NeMo 1.0's GradScaler had no minimum loss scale; {product} floors it at {floor} "
    "(must be > 0, default 1.0). Runs whose scale fell below 1.0 will differ.",
    "loss-scaling-dropped": "NeMo 1.0 applied fp16 loss scaling (trainer precision 16) to a {compute} model; "
    "{product} scales only fp16.",
}

_NEMO2_WORDING = _COMMON_WORDING | {
    "fp16-loss-scaling": "fp16 in NeMo 2.0: by code reading, no NeMo 2.0 path sets Megatron-core's grad_scale_func, "
    "so the loss may not be scaled while gradients are unscaled (NeMo issue #12102; unconfirmed at runtime). "
    "Check the first steps' gradient norm, or train in bf16.",
    "o1-autocast": "NeMo 1.0 trained O1: fp32 weights with {compute} compute (autocast, or FSDP mixed precision). "
    "NeMo 2.0's MegatronMixedPrecision always keeps half-precision weights with fp32 main parameters (O2-like); "
    "none of its arguments restores O1 (autocast_enabled has no effect), and Lightning's own autocast "
    "(nl.Trainer(precision=...) without the plugin) is not a documented NeMo 2.0 path with MegatronStrategy. "
    "Expect small numeric differences and less memory.",
}
_NEMO2_CLIPPING = (
    "NeMo 1.0 did not clip gradients ({reason}); NeMo 2.0's OptimizerConfig clips at 1.0 by default: pass "
    "clip_grad=0.0 to Megatron-core's OptimizerConfig. Do not pass gradient_clip_val to nl.Trainer together with "
    "the plugin.",
    "gradient clipping moves from nl.Trainer(gradient_clip_val) to OptimizerConfig(clip_grad={value}) "
    "(Megatron-core); passing gradient_clip_val to nl.Trainer with the plugin raises.",
)
_NEMO2_DROPPED = {
    "fp16-lm-cross-entropy": ("warning", "fp16_lm_cross_entropy: True computed the LM loss in half precision on the "
                              "legacy path; Megatron-core (NeMo 2.0) always computes it in fp32. Dropped."),
    "grad-allreduce-chunk": ("warning", "grad_allreduce_chunk_size_mb: {value} has no NeMo 2.0 argument; the "
                             "closest knob is DistributedDataParallelConfig.bucket_size (in parameters, not MB). "
                             "Dropped."),
    "fsdp": ("warning", "fsdp: True (PyTorch FSDP in NeMo 1.0) is a strategy setting in NeMo 2.0 "
             "(nl.MegatronStrategy); it is not part of the precision plugin. Configure it there."),
}
_NEMO2_ALLOWED = {
    "precision": frozenset(nemo2_api.PRECISION_LITERALS.values()),
    "fp8": frozenset(nemo2_api.FP8_FORMATS),
    "fp8_recipe": frozenset(nemo2_api.FP8_RECIPES),
    "fp8_amax_compute_algo": frozenset(nemo2_api.AMAX_ALGOS),
}
_NEMO2_LOSS = LossArguments(
    "fp16_initial_loss_scale", "fp16_loss_scale_window", "fp16_hysteresis", "fp16_loss_scale", "fp16_min_loss_scale"
)


@cache
def nemo2_target(release: str) -> PythonTarget:
    """MegatronMixedPrecision of NeMo `release` (a key of SIGNATURES)."""
    weights = nemo2_api.fp8_weights_argument(release)
    return PythonTarget(
        kind="nemo2",
        release=release,
        product="NeMo 2.0",
        defaults=nemo2_api.SIGNATURES[release],
        always=frozenset({"precision"}),
        precision={compute: ("precision", literal) for compute, literal in nemo2_api.PRECISION_LITERALS.items()},
        allowed=_NEMO2_ALLOWED,
        loss=_NEMO2_LOSS,
        fp8_weights=weights,
        delayed_only=frozenset({
            "fp8_margin", "fp8_amax_history_len", "fp8_amax_compute_algo", "fp8_wgrad",
            "fp8_dot_product_attention", "fp8_multi_head_attention",
        }),
        wording=_NEMO2_WORDING,
        clipping=_NEMO2_CLIPPING,
        unsupported=(
            "keeping this config's behaviour needs MegatronMixedPrecision({name}=...), which NeMo " + release
            + " does not accept; choose a newer --target-nemo"
        ),
        dropped=_NEMO2_DROPPED,
        effective_defaults=lambda compute: {
            "params_dtype": Dtype("fp32"),
            "pipeline_dtype": Dtype(nemo2_api.pipeline_default(compute)),
            "fp8_recipe": "delayed",
            weights: False,
        },
    )


_BRIDGE_WORDING = _COMMON_WORDING | {
    # Findings of the legacy reader whose wording names NeMo 2.0 are reworded in `retargeted` below.
    "fp8-wgrad-no-op": "fp8_wgrad=False reaches Transformer Engine as override_linear_precision, which TE >= 2.0 "
    "silently ignores: the wgrad GEMM runs in FP8 there",
    "bf16-layers-with-delayed": "Megatron-core refuses first_last_layers_bf16 with delayed scaling (ValueError at "
    "model setup); choose a current-scaling recipe or drop the BF16 edge layers",
    "o1-autocast": "NeMo 1.0 trained O1: fp32 weights with {compute} compute (autocast). With {compute}=True "
    "Megatron Bridge casts the model to {compute} and keeps fp32 main parameters in the optimizer (O2-like); "
    "params_dtype only sets the initialisation dtype, and MixedPrecisionConfig's autocast_enabled has no effect. "
    "Expect small numeric differences and less memory. (Megatron-core's own enable_autocast on the model provider "
    "is the closest O1 equivalent; nemo-migrate does not emit it.)",
}
_BRIDGE_RETARGETED = {
    "reduce-amax-false": "reduce_amax: False cannot be expressed in Megatron Bridge: Megatron-core always all-reduces "
    "the amax across the amax-reduction group (tp_only_amax_red=True on the model provider only narrows the group), "
    "so in multi-GPU runs the FP8 scaling factors differ from the legacy per-rank ones",
    "tp-only-amax-red": "tp_only_amax_red: True is not a MixedPrecisionConfig field: set it on the model provider "
    "(e.g. GPTModelProvider(tp_only_amax_red=True)); setup() leaves it alone",
    "fp8-interval-dropped": "fp8_interval is ignored by Transformer Engine >= 1.8 and MixedPrecisionConfig has no "
    "such field; dropped",
}
_BRIDGE_CLIPPING = tuple(
    "NeMo 1.0 " + what + "; Megatron-core's OptimizerConfig clips at 1.0 by default: pass clip_grad={clip_grad} "
    "(see optimizer_config_overrides) in ConfigContainer(optimizer=...)."
    for what in ("did not clip gradients ({reason})", "clipped gradients at {value}")
)
_BRIDGE_DROPPED = {
    "fp16-lm-cross-entropy": ("warning", "fp16_lm_cross_entropy: True computed the LM loss in half precision on the "
                              "legacy path; it is not a MixedPrecisionConfig field and Megatron-core computes the "
                              "loss in fp32 unless the model provider says otherwise. Dropped."),
    "grad-allreduce-chunk": ("warning", "grad_allreduce_chunk_size_mb: {value} has no MixedPrecisionConfig field; "
                             "the closest knob is DistributedDataParallelConfig.bucket_size (in parameters, not "
                             "MB). Dropped."),
    "fsdp": ("warning", "fsdp: True (PyTorch FSDP in NeMo 1.0) is a distributed setting in Megatron Bridge (e.g. "
             "use_megatron_fsdp), not part of MixedPrecisionConfig. Configure it there."),
}

BRIDGE = PythonTarget(
    kind="bridge",
    release=bridge_api.BRIDGE_VERSION,
    product="Megatron Bridge",
    defaults=bridge_api.FIELDS,
    always=frozenset({
        # setup() copies None too: both dtypes are always written (research notes, section 6.6).
        "params_dtype", "pipeline_dtype",
        # Bridge defaults to True while Megatron-core's DDP config defaults to False.
        "grad_reduce_in_fp32",
        # Bridge's default recipe is "tensorwise"; NeMo 1.0's FP8 is delayed scaling.
        "fp8", "fp8_recipe", "fp8_margin", "fp8_amax_history_len", "fp8_amax_compute_algo",
        # Bridge's 0/0 overwrites Megatron-core's 1/1.
        "num_layers_at_start_in_bf16", "num_layers_at_end_in_bf16",
    }),
    precision={"bf16": ("bf16", True), "fp16": ("fp16", True)},
    allowed={
        "fp8": frozenset(bridge_api.FP8_FORMATS),
        "fp8_recipe": frozenset(bridge_api.FP8_RECIPES),
        "fp8_amax_compute_algo": frozenset(bridge_api.AMAX_ALGOS),
    },
    loss=LossArguments("initial_loss_scale", "loss_scale_window", "hysteresis", "loss_scale", "min_loss_scale"),
    # A constructor fp8_param= is overwritten by fp8_param_gather: only the latter is written.
    fp8_weights="fp8_param_gather",
    delayed_only=frozenset({
        "fp8_margin", "fp8_amax_history_len", "fp8_amax_compute_algo", "fp8_wgrad", "fp8_multi_head_attention",
    }),
    wording=_BRIDGE_WORDING,
    clipping=_BRIDGE_CLIPPING,
    unsupported="keeping this config's behaviour needs MixedPrecisionConfig({name}=...), which Megatron Bridge "
    + bridge_api.BRIDGE_VERSION + " does not have",
    dropped=_BRIDGE_DROPPED,
    retargeted=_BRIDGE_RETARGETED,
    no_precision_argument=(
        "bridge-fp32",
        "fp32 training: bf16 and fp16 stay False. MixedPrecisionConfig's fp32 field is inert (no model, "
        "optimizer or DDP attribute has that name), so it is not set.",
    ),
    mxfp8_weights_reuse=(
        "reuse_grad_buf_for_mxfp8_param_ag",
        "Bridge requires it for MXFP8 with fp8_param_gather (outside Megatron-FSDP)",
    ),
    matching_recipe=bridge_api.matching_recipe,
)


def plan_nemo2(spec: PrecisionSpec, release: str) -> Plan:
    """Arguments for `nl.MegatronMixedPrecision` on NeMo `release`, plus what cannot be expressed."""
    return plan_python(spec, nemo2_target(release))


def plan_bridge(spec: PrecisionSpec) -> Plan:
    """Arguments for Bridge's MixedPrecisionConfig (or the recipe they equal), plus what cannot be expressed."""
    return plan_python(spec, BRIDGE)

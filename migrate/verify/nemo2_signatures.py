"""`MegatronMixedPrecision.__init__` parameters, in order, with defaults, per NeMo 2.x release.

Written from the semantics notes (section 3.1) independently of the emitter's own table, so that a
wrong default in the emitter shows up as a verify difference instead of being reproduced here.
"""

from __future__ import annotations

REQUIRED = "<required>"

_2_0 = (
    ("precision", REQUIRED),
    ("params_dtype", None),
    ("pipeline_dtype", None),
    ("autocast_dtype", None),
    ("autocast_enabled", False),
    ("grad_reduce_in_fp32", True),
    ("fp8", None),
    ("fp8_margin", 0),
    ("fp8_amax_history_len", 1),
    ("fp8_amax_compute_algo", "most_recent"),
    ("fp8_wgrad", True),
    ("fp8_dot_product_attention", False),
    ("fp8_multi_head_attention", False),
    ("fp8_params", False),
    ("fp16_loss_scale", None),
    ("fp16_initial_loss_scale", 4294967296),
    ("fp16_min_loss_scale", 1.0),
    ("fp16_loss_scale_window", 1000),
    ("fp16_hysteresis", 2),
)

_2_3 = (
    ("precision", REQUIRED),
    ("params_dtype", None),
    ("pipeline_dtype", None),
    ("autocast_dtype", None),
    ("autocast_enabled", False),
    ("grad_reduce_in_fp32", True),
    ("fp8", None),
    ("fp8_recipe", "delayed"),
    ("first_last_layers_bf16", False),
    ("fp8_margin", 0),
    ("fp8_amax_history_len", 1),
    ("fp8_amax_compute_algo", "most_recent"),
    ("fp8_wgrad", True),
    ("fp8_dot_product_attention", False),
    ("fp8_multi_head_attention", False),
    ("fp8_param_gather", False),
    ("fp16_loss_scale", None),
    ("fp16_initial_loss_scale", 4294967296),
    ("fp16_min_loss_scale", 1.0),
    ("fp16_loss_scale_window", 1000),
    ("fp16_hysteresis", 2),
    ("num_layers_at_start_in_bf16", 0),
    ("num_layers_at_end_in_bf16", 0),
)


def _with(base, changes: dict, after: str | None = None, extra: tuple = ()) -> tuple:
    out = [(name, changes.get(name, default)) for name, default in base]
    if after is not None:
        index = [name for name, _ in out].index(after) + 1
        out[index:index] = list(extra)
    else:
        out.extend(extra)
    return tuple(out)


# 2.4: fp8_params comes back as a deprecated alias; fp8_param_gather defaults to None.
_2_4 = _with(_2_3, {"fp8_param_gather": None}, after="fp8_multi_head_attention", extra=(("fp8_params", None),))
_2_5 = _with(_2_4, {}, extra=(("reuse_grad_buf_for_mxfp8_param_ag", False),))
# 2.6 and 2.7 (nemo_toolkit 2.6.0/2.6.2/2.7.0/2.7.3 wheels): NVFP4 arguments after fp8_param_gather,
# so positional calls past that point shift by two.
_2_6 = _with(_2_5, {}, after="fp8_param_gather", extra=(("fp4", None), ("fp4_recipe", "nvfp4")))

PARAMETERS: dict[str, tuple[tuple[str, object], ...]] = {
    "2.0": _2_0, "2.1": _2_0, "2.2": _2_0, "2.3": _2_3, "2.4": _2_4, "2.5": _2_5, "2.6": _2_6, "2.7": _2_6,
}

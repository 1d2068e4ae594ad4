"""Legacy side: the TE recipe and dtypes NeMo 1.0 builds for a config, from its PrecisionSpec.

Semantics notes sections 1-2: the legacy path builds
`DelayedScaling(margin, interval, fp8_format, amax_history_len, amax_compute_algo, reduce_amax)`,
the mcore path builds `DelayedScaling(...)` without `reduce_amax` (TE default True) and with
`override_linear_precision`; `PrecisionSpec` already holds the effective value of each argument.
"""

from __future__ import annotations

from migrate.spec import PrecisionSpec, Setting
from migrate.verify.effective import RECIPE_CLASSES, Effective, Entry
from migrate.verify.mcore_recipe import NO_FP8_MHA

_NOT_DELAYED = "not an argument of this recipe"


def _entry(setting: Setting, value=None) -> Entry:
    return Entry(setting.value if value is None else value, setting.origin.describe())


def legacy_effective(spec: PrecisionSpec) -> Effective:
    fp8 = spec.fp8
    active = bool(fp8.active.value)
    path = "legacy Megatron path" if spec.code_path.value == "legacy" else "mcore path"
    entries: dict[str, Entry] = {
        "trainer_builder": _entry(spec.trainer_builder),
        "precision_plugin": _entry(spec.precision_plugin),
        "precision": _entry(spec.compute_dtype),
        "amp_mode": _entry(spec.amp_mode),
        "params_dtype": _entry(spec.params_dtype),
        "pipeline_dtype": _entry(spec.pipeline_dtype),
        "grad_reduce_dtype": _entry(spec.grad_reduce_dtype),
        "fp4_format": Entry(None, "NeMo 1.x has no FP4 (NVFP4) training"),
    }
    if active:
        entries["fp8_format"] = _entry(fp8.format)
        recipe = RECIPE_CLASSES[fp8.recipe.value]
        entries["recipe_class"] = Entry(recipe, f"{path}: {fp8.recipe.origin.describe()}")
        delayed = recipe == "DelayedScaling"
        for key, setting in (
            ("margin", fp8.margin),
            ("amax_history_len", fp8.amax_history_len),
            ("amax_compute_algo", fp8.amax_compute_algo),
            ("reduce_amax", fp8.reduce_amax),
        ):
            entries[key] = _entry(setting) if delayed else Entry(None, _NOT_DELAYED)
        # The 2.x tree builds its recipe through the same Megatron-core code as NeMo 2.x (mcore_recipe.py).
        entries["fp8_mha"] = _entry(fp8.multi_head_attention) if delayed else Entry(False, NO_FP8_MHA.format(recipe=recipe))
        entries["fp8_dpa"] = _entry(fp8.dot_product_attention) if recipe != "Float8BlockScaling" else Entry(None, _NOT_DELAYED)
        entries["fp8_wgrad"] = _entry(fp8.wgrad)
        entries["fp8_params"] = _entry(fp8.params)
        entries["first_last_layers_bf16"] = _entry(fp8.first_last_layers_bf16)
        if fp8.first_last_layers_bf16.value:
            entries["num_layers_at_start_in_bf16"] = _entry(fp8.num_layers_at_start_in_bf16)
            entries["num_layers_at_end_in_bf16"] = _entry(fp8.num_layers_at_end_in_bf16)
    else:
        why = fp8.active.origin.describe() if fp8.requested.value else "FP8 off"
        entries["fp8_format"] = Entry(None, why)
    loss = spec.loss_scaling
    if loss.enabled.value:
        entries["loss_scaler"] = Entry("dynamic", loss.enabled.origin.describe())
        entries["initial_loss_scale"] = _entry(loss.initial_scale, float(loss.initial_scale.value))
        entries["loss_scale_window"] = _entry(loss.growth_interval)
        entries["hysteresis"] = _entry(loss.hysteresis)
        entries["min_loss_scale"] = Entry(loss.min_scale.value, loss.min_scale.origin.describe())
        entries["loss_scale_applied"] = _entry(loss.applied)
    else:
        entries["loss_scaler"] = Entry("none", loss.enabled.origin.describe())
    return Effective("legacy", entries, source=spec.source)

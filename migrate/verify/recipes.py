"""What one side trains with in the numeric check: dtype, weights mode, TE recipe constructor call,
loss scaler (and its update rule), gradient-reduction dtype.

Built from an `Effective` as plain data (testable without torch); `te_recipe` turns the recipe
into a Transformer Engine object and is the only place here that imports TE.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrate.verify.effective import TE_FORMATS, Effective


@dataclass(frozen=True)
class RecipeConfig:
    """A TE recipe constructor call: class name and keyword arguments (fp8_format as a Format name)."""

    cls: str
    kwargs: tuple[tuple[str, Any], ...]

    def describe(self) -> str:
        args = ", ".join(f"{k}={_show(v)}" for k, v in self.kwargs)
        return f"{self.cls}({args})"


# Loss-scaler update rules (loss_scaler.py models both).
NEMO1_RULE = "nemo1"  # NeMo 1.0's GradScaler: hysteresis re-armed after every clean step, no floor
MEGATRON_RULE = "megatron"  # Megatron-core's DynamicGradScaler: re-armed only when the scale grows, floor


@dataclass(frozen=True)
class ScalerConfig:
    kind: str  # "dynamic" | "constant"
    initial_scale: float
    growth_interval: int = 1000
    hysteresis: int = 2
    min_scale: float | None = None
    rule: str = MEGATRON_RULE


@dataclass(frozen=True)
class RunConfig:
    label: str
    dtype: str  # "fp32" | "bf16" | "fp16": the compute dtype
    recipe: RecipeConfig | None
    scaler: ScalerConfig | None
    # "O2": weights in `dtype` with fp32 master weights (Float16Module); "O1": fp32 weights under
    # torch.autocast(dtype); "fp32": fp32 weights, no autocast.
    weights: str = "O2"
    grad_reduce_dtype: str | None = None  # data-parallel gradient all-reduce dtype (None: the weights' dtype)

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "dtype": self.dtype,
            "weights": self.weights,
            "grad_reduce_dtype": self.grad_reduce_dtype,
            "recipe": None if self.recipe is None else {"class": self.recipe.cls, "kwargs": dict(self.recipe.kwargs)},
            "loss_scaler": None if self.scaler is None else vars(self.scaler).copy(),
        }

    @property
    def params_dtype(self) -> str:
        return self.dtype if self.weights == "O2" else "fp32"


def _show(value: Any) -> str:
    return f"Format.{value}" if isinstance(value, str) and value in TE_FORMATS.values() else repr(value)


def recipe_config(effective: Effective) -> RecipeConfig | None:
    if not effective.fp8_active:
        return None
    cls = effective.value("recipe_class")
    fmt = TE_FORMATS[effective.value("fp8_format")]
    if cls == "DelayedScaling":
        names = (("margin", "margin"), ("amax_history_len", "amax_history_len"), ("amax_compute_algo", "amax_compute_algo"),
                 ("reduce_amax", "reduce_amax"), ("fp8_dpa", "fp8_dpa"), ("fp8_mha", "fp8_mha"))
        kwargs = [("fp8_format", fmt)] + [(arg, effective.value(key)) for arg, key in names]
    elif cls == "Float8BlockScaling":
        kwargs = [("fp8_format", fmt)]
    else:  # Float8CurrentScaling, MXFP8BlockScaling
        kwargs = [("fp8_format", fmt), ("fp8_dpa", effective.value("fp8_dpa"))]
    return RecipeConfig(cls, tuple(kwargs))


def scaler_config(effective: Effective) -> ScalerConfig | None:
    """The side's loss scaler; the legacy side updates it by NeMo 1.0's GradScaler rule."""
    kind = effective.value("loss_scaler")
    rule = NEMO1_RULE if effective.side == "legacy" else MEGATRON_RULE
    if kind == "constant":
        return ScalerConfig("constant", float(effective.value("initial_loss_scale")), rule=rule)
    if kind == "dynamic":
        return ScalerConfig(
            "dynamic",
            float(effective.value("initial_loss_scale")),
            int(effective.value("loss_scale_window")),
            int(effective.value("hysteresis")),
            effective.value("min_loss_scale"),
            rule,
        )
    return None


_WEIGHTS = {"O1": "O1", "O2": "O2", "fp32": "fp32"}


def run_config(effective: Effective) -> RunConfig:
    precision = effective.value("precision")
    weights = _WEIGHTS.get(effective.value("amp_mode"), "O2" if precision in ("bf16", "fp16") else "fp32")
    reduce = effective.value("grad_reduce_dtype")
    return RunConfig(
        effective.side, precision, recipe_config(effective), scaler_config(effective), weights,
        reduce if reduce in ("fp32", "bf16", "fp16") else None,
    )


def reference_config(run: RunConfig) -> RunConfig:
    """The same run without FP8: bf16 (fp16 keeps fp16 and its loss scaler), same weights mode."""
    dtype = run.dtype if run.dtype == "fp16" else "bf16"
    weights = run.weights if run.weights in ("O1", "O2") else "O2"
    return RunConfig("reference", dtype, None, run.scaler if dtype == "fp16" else None, weights, run.grad_reduce_dtype)


def fp32_reference_config(run: RunConfig) -> RunConfig:
    """The common high-precision reference: fp32 weights and compute, no FP8, no loss scaling."""
    return RunConfig("fp32 reference", "fp32", None, None, "fp32", "fp32")


def te_recipe(config: RecipeConfig):
    """The Transformer Engine recipe object (imports TE)."""
    from transformer_engine.common import recipe as te_recipes

    kwargs = {k: (getattr(te_recipes.Format, v) if k == "fp8_format" else v) for k, v in config.kwargs}
    return getattr(te_recipes, config.cls)(**kwargs)

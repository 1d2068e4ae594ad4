"""What one side trains with in the numeric check: dtype, TE recipe constructor call, loss scaler.

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


@dataclass(frozen=True)
class ScalerConfig:
    kind: str  # "dynamic" | "constant"
    initial_scale: float
    growth_interval: int = 1000
    hysteresis: int = 2
    min_scale: float | None = None


@dataclass(frozen=True)
class RunConfig:
    label: str
    dtype: str  # "fp32" | "bf16" | "fp16": weights and activations (Float16Module-like)
    recipe: RecipeConfig | None
    scaler: ScalerConfig | None

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "dtype": self.dtype,
            "recipe": None if self.recipe is None else {"class": self.recipe.cls, "kwargs": dict(self.recipe.kwargs)},
            "loss_scaler": None if self.scaler is None else vars(self.scaler).copy(),
        }


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
    kind = effective.value("loss_scaler")
    if kind == "constant":
        return ScalerConfig("constant", float(effective.value("initial_loss_scale")))
    if kind == "dynamic":
        return ScalerConfig(
            "dynamic",
            float(effective.value("initial_loss_scale")),
            int(effective.value("loss_scale_window")),
            int(effective.value("hysteresis")),
            effective.value("min_loss_scale"),
        )
    return None


def run_config(effective: Effective) -> RunConfig:
    return RunConfig(effective.side, effective.value("precision"), recipe_config(effective), scaler_config(effective))


def reference_config(run: RunConfig) -> RunConfig:
    """The same run without FP8: bf16 (fp16 keeps fp16 and its loss scaler)."""
    dtype = run.dtype if run.dtype == "fp16" else "bf16"
    return RunConfig("reference", dtype, None, run.scaler if dtype == "fp16" else None)


def te_recipe(config: RecipeConfig):
    """The Transformer Engine recipe object (imports TE)."""
    from transformer_engine.common import recipe as te_recipes

    kwargs = {k: (getattr(te_recipes.Format, v) if k == "fp8_format" else v) for k, v in config.kwargs}
    return getattr(te_recipes, config.cls)(**kwargs)

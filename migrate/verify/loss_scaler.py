"""The two loss-scaler update rules the numeric check drives, in plain Python.

NeMo 1.0 (`GradScaler` in NeMo 1.23's `nlp_overrides.py`, a `torch.cuda.amp.GradScaler` with apex's
`update_scale_hysteresis`): growth factor 2, backoff 0.5, an overflow uses up one unit of
hysteresis and backs off once none is left; **every clean step re-arms the hysteresis**; the growth
counter restarts on an overflow; a grown scale that would not be finite in fp32 is not taken; **no
floor**.

Megatron-core (`DynamicGradScaler` in `megatron/core/optimizer/grad_scaler.py`): the same factors,
but the hysteresis is re-armed **only when the scale grows**, and a backoff never goes below
`min_scale`. `ConstantGradScaler` never changes. Where megatron-core is importable and the run is on
CUDA, `make_scaler` drives the real class instead of this model (it keeps its scale on the GPU).

Both sides skip the optimizer step of an overflowing iteration. `scale` is read before the step
(the loss is multiplied by it), `update(found_inf)` runs after it.
"""

from __future__ import annotations

import math

from migrate.verify.recipes import MEGATRON_RULE, NEMO1_RULE, ScalerConfig

MODEL = "model"  # implementation names reported with each run
REAL_MEGATRON = "megatron.core"


class ConstantScaler:
    implementation = MODEL

    def __init__(self, config: ScalerConfig) -> None:
        self.config = config
        self.scale = float(config.initial_scale)

    def update(self, found_inf: bool) -> None:
        del found_inf  # a constant scale ignores overflows (the step is still skipped)

    @property
    def description(self) -> str:
        return f"constant scale {self.scale:g}"


class NeMo1GradScaler:
    """NeMo 1.0's GradScaler update (apex update_scale_hysteresis semantics)."""

    implementation = MODEL

    def __init__(self, config: ScalerConfig) -> None:
        self.config = config
        self.scale = float(config.initial_scale)
        self._growth = 0
        self._hysteresis = config.hysteresis

    def update(self, found_inf: bool) -> None:
        if found_inf:
            self._hysteresis -= 1
            self._growth = 0
            if self._hysteresis <= 0:
                self.scale *= 0.5
            return
        self._growth += 1
        if self._growth == self.config.growth_interval:
            grown = self.scale * 2.0
            if math.isfinite(grown) and grown <= 3.4028234663852886e38:  # the scale is an fp32 tensor
                self.scale = grown
            self._growth = 0
        self._hysteresis = self.config.hysteresis

    @property
    def description(self) -> str:
        return "NeMo 1.0 GradScaler rule (nemo-migrate's model: hysteresis re-armed by every clean step, no floor)"


class MegatronDynamicScaler:
    """Megatron-core's DynamicGradScaler update."""

    implementation = MODEL

    def __init__(self, config: ScalerConfig) -> None:
        self.config = config
        self.scale = float(config.initial_scale)
        self._growth = 0
        self._hysteresis = config.hysteresis

    def update(self, found_inf: bool) -> None:
        if found_inf:
            self._growth = 0
            self._hysteresis -= 1
            if self._hysteresis <= 0:
                self.scale *= 0.5
                if self.config.min_scale is not None:
                    self.scale = max(self.scale, float(self.config.min_scale))
            return
        self._growth += 1
        if self._growth == self.config.growth_interval:
            self._growth = 0
            self._hysteresis = self.config.hysteresis
            self.scale *= 2.0

    @property
    def description(self) -> str:
        return "Megatron-core DynamicGradScaler rule (nemo-migrate's model: megatron-core is not importable here)"


class RealMegatronScaler:
    """Megatron-core's own DynamicGradScaler / ConstantGradScaler (CUDA tensors), read back as floats."""

    implementation = REAL_MEGATRON

    def __init__(self, config: ScalerConfig, module) -> None:
        self.config = config
        if config.kind == "constant":
            self._scaler = module.ConstantGradScaler(float(config.initial_scale))
        else:
            self._scaler = module.DynamicGradScaler(
                initial_scale=float(config.initial_scale),
                min_scale=float(config.min_scale),
                growth_factor=2.0,
                backoff_factor=0.5,
                growth_interval=int(config.growth_interval),
                hysteresis=int(config.hysteresis),
            )
        self.version = getattr(module, "__megatron_version__", "")

    @property
    def scale(self) -> float:
        return float(self._scaler.scale.item())

    def update(self, found_inf: bool) -> None:
        self._scaler.update(found_inf)

    @property
    def description(self) -> str:
        kind = "ConstantGradScaler" if self.config.kind == "constant" else "DynamicGradScaler"
        return f"Megatron-core's own {kind}{f' ({self.version})' if self.version else ''}"


def _real_megatron_module():
    """megatron.core's grad_scaler module, or None where it cannot be imported."""
    try:
        from megatron.core.optimizer import grad_scaler
    except Exception:  # noqa: BLE001 - a partial megatron install fails in many ways
        return None
    try:
        from importlib.metadata import version

        grad_scaler.__megatron_version__ = f"megatron-core {version('megatron-core')}"
    except Exception:  # noqa: BLE001
        pass
    return grad_scaler


def make_scaler(config: ScalerConfig, device: str = "cpu"):
    """The scaler a side trains with: NeMo 1.0's rule on the legacy side; Megatron-core's class on
    the migrated side (the real one on CUDA where megatron-core is importable, else our model)."""
    if config.rule == NEMO1_RULE:
        return NeMo1GradScaler(config) if config.kind == "dynamic" else ConstantScaler(config)
    if config.rule != MEGATRON_RULE:
        raise ValueError(f"unknown loss-scaler rule {config.rule!r}")
    usable = device == "cuda" and (config.kind == "constant" or config.min_scale is not None)
    module = _real_megatron_module() if usable else None
    if module is not None:
        return RealMegatronScaler(config, module)
    return MegatronDynamicScaler(config) if config.kind == "dynamic" else ConstantScaler(config)

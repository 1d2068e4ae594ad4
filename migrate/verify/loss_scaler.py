"""A dynamic loss scaler in plain Python, driven by the numeric check for fp16 runs.

Update rule of Megatron-core's DynamicGradScaler (growth factor 2, backoff 0.5, hysteresis, floor
`min_scale`); NeMo 1.0's GradScaler uses the same factors with no floor. Both sides use this one
rule, so the numeric check compares the *settings* (initial scale, window, hysteresis).
"""

from __future__ import annotations

from migrate.verify.recipes import ScalerConfig


class LossScaler:
    def __init__(self, config: ScalerConfig) -> None:
        self.config = config
        self.scale = float(config.initial_scale)
        self._growth = 0
        self._hysteresis = config.hysteresis

    def update(self, found_inf: bool) -> None:
        if self.config.kind == "constant":
            return
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

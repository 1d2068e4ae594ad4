"""When two runs that cannot be bitwise equal are close enough: the documented tolerances.

Used where a legacy setting has no counterpart on the migrated stack (O1, NeMo 1.0's loss-scaler
rule, reduce_amax False; see twin.py): the migrated run is compared with the legacy run as it
really ran, per step, by the relative error ||migrated - legacy|| / ||legacy|| and the cosine
similarity of the model output, and both with a common fp32 reference where one ran.

Calibration (H200, TE 2.20.2, torch 2.11; `te.LayerNormMLP(512, 2048)` + `te.Linear`, SGD lr 0.05,
10 steps, fp32 reference): without FP8, O2 vs O1 grows from 0.32% to 0.77% (cosine >= 0.99997); with
FP8 delayed scaling (hybrid, 1024 / max) it is about 4.4% (cosine >= 0.9986), FP8 quantisation
dominating. The bounds leave 2-3x headroom over those worst steps; each cosine bound is the one a
relative error at the bound implies, 1 - e**2 / 2. verify's own model (hidden 256, lr 1e-3, with
a residual connection for O1) was not part of that measurement: bench/bench_verify.py prints its
distances.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Tolerance:
    name: str
    max_relative_error: float
    min_cosine: float

    def admits(self, relative_error: float | None, cosine: float | None) -> bool:
        """One step; None means the step is not comparable (both runs non-finite there: both skipped it)."""
        if relative_error is None:
            return True
        if not math.isfinite(relative_error) or cosine is None or not math.isfinite(cosine):
            return False
        return relative_error <= self.max_relative_error and cosine >= self.min_cosine


WITHOUT_FP8 = Tolerance("without FP8", 0.02, 0.9998)
WITH_FP8 = Tolerance("with FP8", 0.10, 0.995)


def tolerance_for(fp8: bool) -> Tolerance:
    return WITH_FP8 if fp8 else WITHOUT_FP8


@dataclass(frozen=True)
class PairDistance:
    """Per-step distance of run `of` from run `to` (relative error of `of` against `to`)."""

    of: str
    to: str
    relative_error: tuple[float | None, ...]
    cosine: tuple[float | None, ...]

    @property
    def label(self) -> str:
        return f"{self.of} vs {self.to}"

    @property
    def worst_relative_error(self) -> float | None:
        values = [e for e in self.relative_error if e is not None]
        return max(values, key=lambda e: math.inf if math.isnan(e) else e) if values else None

    @property
    def worst_cosine(self) -> float | None:
        values = [c for c in self.cosine if c is not None]
        return min(values, key=lambda c: -math.inf if math.isnan(c) else c) if values else None

    def failing_steps(self, tolerance: Tolerance) -> tuple[int, ...]:
        return tuple(i for i, (e, c) in enumerate(zip(self.relative_error, self.cosine), start=1) if not tolerance.admits(e, c))

    def to_json(self) -> dict:
        return {"of": self.of, "to": self.to, "relative_error": list(self.relative_error), "cosine": list(self.cosine)}


@dataclass(frozen=True)
class DistanceCheck:
    """`judged` (migrated vs legacy as it ran) against `tolerance`. `references` (each run vs the
    fp32 reference) are reported, not judged: the reference trains every step, while fp16 runs skip
    the steps their loss scale overflows, so its distance grows with the skips, not the migration."""

    judged: PairDistance
    tolerance: Tolerance
    references: tuple[PairDistance, ...] = ()

    @property
    def within(self) -> bool:
        return not self.judged.failing_steps(self.tolerance)

    def to_json(self) -> dict:
        return {
            "tolerance": {"name": self.tolerance.name, "max_relative_error": self.tolerance.max_relative_error,
                          "min_cosine": self.tolerance.min_cosine},
            "judged": self.judged.to_json(),
            "failing_steps": list(self.judged.failing_steps(self.tolerance)),
            "references": [pair.to_json() for pair in self.references],
            "within_tolerance": self.within,
        }

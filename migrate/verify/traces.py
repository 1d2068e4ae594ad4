"""Comparing two training traces step by step, and judging FP8 against a high-precision reference.

A trace is a list (one item per training step) of `{quantity name: value}`; values are whatever
the `diff` callable understands (torch tensors in the numeric engine, numbers and lists in tests).
Quantity names are grouped by their prefix before the first '.' ("output", "loss", "grad",
"scale", ...) for the report.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

Diff = Callable[[Any, Any], "tuple[bool, float]"]

# FP8 against the same model trained without FP8 (bf16, or fp16 with loss scaling), every step.
# Documented in the README: FP8's 3-bit (E4M3) mantissa gives a few percent relative error
# per tensor; the first delayed-scaling step runs with scale 1.0, hence the loose bound.
MAX_RELATIVE_ERROR = 0.25
MIN_COSINE = 0.97


def python_diff(a: Any, b: Any) -> tuple[bool, float]:
    """Bitwise equality and max |a - b| for numbers and (nested) lists of numbers."""
    xs, ys = _flatten(a), _flatten(b)
    if len(xs) != len(ys):
        return False, math.inf
    equal = all(_bits_equal(x, y) for x, y in zip(xs, ys))
    worst = max((abs(x - y) if math.isfinite(x) and math.isfinite(y) else (0.0 if _bits_equal(x, y) else math.inf)
                 for x, y in zip(xs, ys)), default=0.0)
    return equal, worst


def _flatten(value: Any) -> list[float]:
    if isinstance(value, (list, tuple)):
        return [item for element in value for item in _flatten(element)]
    return [float(value)]


def _bits_equal(x: float, y: float) -> bool:
    return x == y or (math.isnan(x) and math.isnan(y))


@dataclass(frozen=True)
class StepComparison:
    step: int  # 1-based
    equal: bool
    max_abs: dict[str, float]  # group -> worst |difference| in that group
    differing: tuple[str, ...]  # quantity names that differ


@dataclass(frozen=True)
class TraceComparison:
    steps: tuple[StepComparison, ...]

    @property
    def equal(self) -> bool:
        return all(step.equal for step in self.steps)

    @property
    def first_divergence(self) -> StepComparison | None:
        return next((step for step in self.steps if not step.equal), None)

    def first_divergence_by_group(self) -> dict[str, int]:
        """group -> first step at which a quantity of that group differs ("output": 3, ...)."""
        found: dict[str, int] = {}
        for step in self.steps:
            for name in step.differing:
                found.setdefault(group_of(name), step.step)
        return found


def group_of(name: str) -> str:
    return name.split(".", 1)[0]


def compare_traces(a: Sequence[dict[str, Any]], b: Sequence[dict[str, Any]], diff: Diff = python_diff) -> TraceComparison:
    steps = []
    for index, (x, y) in enumerate(zip(a, b), start=1):
        worst: dict[str, float] = {}
        differing = []
        for name in sorted(set(x) | set(y)):
            group = group_of(name)
            if name not in x or name not in y:
                equal, delta = False, math.inf
            else:
                equal, delta = diff(x[name], y[name])
            worst[group] = max(worst.get(group, 0.0), delta)
            if not equal:
                differing.append(name)
        steps.append(StepComparison(index, not differing, worst, tuple(differing)))
    if len(a) != len(b):
        steps.append(StepComparison(min(len(a), len(b)) + 1, False, {}, ("trace length",)))
    return TraceComparison(tuple(steps))


@dataclass(frozen=True)
class ReferenceCheck:
    """FP8 run vs its no-FP8 reference: per step relative error and cosine similarity of the output."""

    label: str
    relative_error: tuple[float, ...]
    cosine: tuple[float, ...]

    @property
    def worst_relative_error(self) -> float:
        return max(self.relative_error, default=0.0)

    @property
    def worst_cosine(self) -> float:
        return min(self.cosine, default=1.0)

    @property
    def within_thresholds(self) -> bool:
        return all(math.isfinite(e) and e <= MAX_RELATIVE_ERROR for e in self.relative_error) and all(
            c >= MIN_COSINE for c in self.cosine
        )

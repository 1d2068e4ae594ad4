"""Per-step distance between two runs' outputs (relative error and cosine similarity, in float64)."""

from __future__ import annotations

import math
from typing import Any

from migrate.verify.tolerance import PairDistance


def _step(torch, a: Any, b: Any) -> tuple[float | None, float | None]:
    """Distance of output `a` from output `b`; (None, None) when neither is finite (both runs
    overflowed there), inf when only one is."""
    x, y = a.flatten().double(), b.flatten().double()
    finite_x, finite_y = bool(torch.isfinite(x).all()), bool(torch.isfinite(y).all())
    if not finite_x and not finite_y:
        return None, None
    if not (finite_x and finite_y):
        return math.inf, math.nan
    norm = float(torch.linalg.vector_norm(y))
    difference = float(torch.linalg.vector_norm(x - y))
    relative = difference / norm if norm > 0 else (0.0 if difference == 0 else math.inf)
    cosine = float(torch.nn.functional.cosine_similarity(x, y, dim=0))
    return relative, cosine


def pair_distance(of: str, to: str, trace_of: list[dict[str, Any]], trace_to: list[dict[str, Any]]) -> PairDistance:
    import torch

    errors, cosines = [], []
    for a, b in zip(trace_of, trace_to):
        relative, cosine = _step(torch, a["output"], b["output"])
        errors.append(relative)
        cosines.append(cosine)
    return PairDistance(of, to, tuple(errors), tuple(cosines))

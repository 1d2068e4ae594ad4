"""verify's exit statuses and how a result maps to one.

0 equivalent: the structural check agrees and, where the numeric check ran, it was bitwise equal
  (AutoModel: within its approximate tolerance).
1 not equivalent: a setting differs, the numeric check differs where it must be equal, or a
  distance is outside its tolerance.
2 bad input.
3 --require-gpu, but no CUDA device / Transformer Engine here (AutoModel: or torchao), too few
  GPUs for --gpus N, or a recipe this GPU cannot run.
4 the numeric check failed while running (an exception: CUDA out of memory, a TE error, a process
  of --gpus N that died, ...): verify could not finish, which is never a pass.
5 differs within tolerance: everything NeMo 2.0 can express was carried over bitwise, and what it
  cannot express (O1, NeMo 1.0's loss-scaler rule, reduce_amax False) moves training by less than
  the documented tolerance.

2, 3 and 4 mean verify could not do its job and take precedence over the verdicts 0, 1 and 5.
"""

from __future__ import annotations

EQUIVALENT, NOT_EQUIVALENT, BAD_INPUT, NO_GPU, CHECK_FAILED, WITHIN_TOLERANCE = 0, 1, 2, 3, 4, 5

# Outcome of one numeric comparison (per rank, per sub-check); ordered from best to worst.
EQUAL, WITHIN, DIFFERS = "equal", "within tolerance", "differs"
_ORDER = {EQUAL: 0, WITHIN: 1, DIFFERS: 2}


def worst(*outcomes: str) -> str:
    return max(outcomes, key=_ORDER.__getitem__, default=EQUAL)


def comparison_outcome(bitwise_equal: bool, twin_equal: bool | None, within_tolerance: bool | None) -> str:
    """Legacy vs migrated bitwise; else the twin (legacy as expressible) must be bitwise equal to
    the migrated run and the legacy run within tolerance of it."""
    if bitwise_equal:
        return EQUAL
    if twin_equal and within_tolerance:
        return WITHIN
    return DIFFERS


def exit_status(verdict_outcome: str, *, failed: bool = False, machine_missing: bool = False, require_gpu: bool = False) -> int:
    """`verdict_outcome`: EQUAL (equivalent), WITHIN, or DIFFERS (not equivalent)."""
    if failed:
        return CHECK_FAILED
    if machine_missing and require_gpu:
        return NO_GPU
    return {EQUAL: EQUIVALENT, WITHIN: WITHIN_TOLERANCE, DIFFERS: NOT_EQUIVALENT}[verdict_outcome]

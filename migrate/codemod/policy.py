"""Which existing plugin arguments the migration decides, and when a user's value conflicts.

Policy: an argument the plan writes is set to the plan's value. An argument the plan could write
but left out (because the legacy value equals NeMo 2.0's default) is kept while its value means
that default, and removed otherwise. Arguments the legacy config says nothing about (for example
`autocast_enabled`), and arguments that are inert for this run (FP8 tuning without FP8, or loss
scaling outside fp16), are kept as the user wrote them.
"""

from __future__ import annotations

from typing import Any

from migrate.nemo2.calls import NotLiteral
from migrate.plan.python import Plan
from migrate.target_api.dtype import Dtype
from migrate.target_api.nemo2 import pipeline_default

DELAYED_ONLY = (
    "fp8_margin", "fp8_amax_history_len", "fp8_amax_compute_algo", "fp8_wgrad",
    "fp8_dot_product_attention", "fp8_multi_head_attention",
)
FP8_ONLY = ("fp8_recipe", "first_last_layers_bf16", "num_layers_at_start_in_bf16", "num_layers_at_end_in_bf16")
FP16_ONLY = ("fp16_loss_scale", "fp16_initial_loss_scale", "fp16_loss_scale_window", "fp16_hysteresis")
# fp4 (NeMo 2.6+): NeMo 1.0 never trained in FP4, so the legacy value is always "off".
OWNED = (
    "precision", "params_dtype", "pipeline_dtype", "grad_reduce_in_fp32", "fp8", "fp8_params", "fp8_param_gather",
    "fp4", *DELAYED_ONLY, *FP8_ONLY, *FP16_ONLY,
)

_PRECISION_SPELLINGS = {
    "bf16": "bf16-mixed", "bf16-mixed": "bf16-mixed",
    "16": "16-mixed", 16: "16-mixed", "16-mixed": "16-mixed",
    "32": "32", 32: "32", "32-true": "32",
}
_DTYPE_SPELLINGS = {
    "torch.bfloat16": "bf16", "torch.float16": "fp16", "torch.half": "fp16",
    "torch.float32": "fp32", "torch.float": "fp32",
}


def _compute(plan: Plan) -> str:
    precision = plan.kwargs()["precision"]
    return {"bf16-mixed": "bf16", "16-mixed": "fp16"}.get(precision, "fp32")


def _same(name: str, user: Any, wanted: Any) -> bool:
    """True when the user's literal means the value the migration wants."""
    if isinstance(user, NotLiteral):
        return False
    if isinstance(wanted, Dtype):
        return _DTYPE_SPELLINGS.get(user) == wanted.name if isinstance(user, str) else False
    if name == "precision":
        return _PRECISION_SPELLINGS.get(user, object()) == _PRECISION_SPELLINGS.get(wanted)
    if isinstance(wanted, bool) or isinstance(user, bool):
        return type(user) is type(wanted) and user == wanted
    if wanted is None or user is None:
        return user is wanted
    return user == wanted


def _defaults(name: str, plan: Plan) -> tuple[Any, ...]:
    """Values that mean "what NeMo 2.0 does when the argument is left out" for this run."""
    if name == "params_dtype":
        return (None, Dtype("fp32"))
    if name == "pipeline_dtype":
        return (None, Dtype(pipeline_default(_compute(plan))))
    if name in ("fp8_params", "fp8_param_gather"):
        return (None, False)
    return (plan.api.defaults.get(name),)


def default_value(name: str, plan: Plan) -> Any:
    """The value to write where an argument must go back to NeMo 2.0's default (attribute writes)."""
    return _defaults(name, plan)[0]


def inert(name: str, plan: Plan) -> bool:
    """Arguments that have no effect on this run, so a user's value is left alone."""
    wanted = plan.kwargs()
    if name in DELAYED_ONLY:
        return "fp8" not in wanted or wanted.get("fp8_recipe", "delayed") != "delayed"
    if name in FP8_ONLY:
        return "fp8" not in wanted
    if name in FP16_ONLY:
        return _compute(plan) != "fp16"
    return False


def decide(name: str, user: Any, plan: Plan) -> str:
    """What to do with an existing keyword argument: "keep", "set" (to the plan's value) or "remove"."""
    wanted = plan.kwargs()
    if name in wanted:
        return "keep" if _same(name, user, wanted[name]) else "set"
    if name not in OWNED or name not in plan.api.defaults or inert(name, plan):
        return "keep"
    if any(_same(name, user, default) for default in _defaults(name, plan)):
        return "keep"
    return "remove"

"""Harness `automodel`: the YAML blocks `convert --target automodel` writes, read by NeMo AutoModel's
own config code (probes/automodel_probe.py), against `verify --target automodel`'s migrated column.

Rows from the real objects: the compute dtype is `distributed.autocast_dtype` or FSDP2's
`MixedPrecisionPolicy.param_dtype`; storage is `model.torch_dtype` through `dtype_from_str`; the
weights mode follows from those and the optimizer (fp32 storage, or TE FusedAdam master weights,
give fp32 master weights); FP8 rows come from the torchao `Float8LinearConfig` AutoModel builds
(format from the cast target dtypes, FP8 wgrad unless the weight-gradient casts are disabled,
FP8 all-gather). The loss scaler is "none" unless AutoModel's LLM recipes use a GradScaler.
"""

from __future__ import annotations

from typing import Any

from conformance.cases import Input, prepare_target
from conformance.compare import EnvResult, add_answers
from conformance.envs import Env
from migrate.verify.installed.rows import ROWS

NOT_OBSERVED = ("first_last_layers_bf16",)  # AutoModel has no layer-count setting (filter_fqns instead)
COMPARED = tuple(r for r in ROWS if r not in NOT_OBSERVED)
_NAMES = {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16", "float8_e4m3fn": "e4m3", "float8_e5m2": "e5m2"}


def _weights_mode(storage: Any, param: Any, autocast: Any, compute: Any, facts: dict[str, Any]) -> str:
    if compute == "fp32":
        return "fp32"
    if autocast and param == "fp32":
        return "O1"
    if storage == "fp32":
        return "O2"
    target = facts.get("optimizer_target") or ""
    if target.endswith("FusedAdam") and facts.get("master_weights") is True:
        return "O2"
    return f"{storage} weights without fp32 master"


def fp8_rows(facts: dict[str, Any]) -> dict[str, Any]:
    float8 = facts.get("float8")
    if not facts.get("fp8") or not float8 or not float8.get("converted"):
        return {"fp8_format": None}
    name = facts["fp8"]["recipe_name"] or "tensorwise"
    forward = {_NAMES.get(float8[k]["target_dtype"]) for k in ("cast_config_input", "cast_config_weight")}
    backward = _NAMES.get(float8["cast_config_grad_output"]["target_dtype"])
    fmt = "hybrid" if forward == {"e4m3"} and backward == "e5m2" else "e4m3" if forward | {backward} == {"e4m3"} else f"{sorted(forward)}/{backward}"
    granularity = {"TENSORWISE": "per-tensor", "AXISWISE": "per-row"}.get(float8["cast_config_input"]["granularity"], "?")
    scaling = float8["cast_config_input"]["scaling_type"].lower()
    grad_weight = (float8["cast_config_input_for_grad_weight"], float8["cast_config_grad_output_for_grad_weight"])
    return {
        "fp8_format": fmt,
        "recipe_class": f"torchao Float8Linear {name} ({scaling} {granularity})",
        "margin": None, "amax_history_len": None, "amax_compute_algo": None, "reduce_amax": None, "fp8_mha": None,
        "fp8_dpa": False,  # AutoModel converts nn.Linear modules only (fp8._module_filter_fn)
        "fp8_wgrad": all(c["scaling_type"] != "DISABLED" for c in grad_weight),
        "fp8_params": bool(float8["enable_fsdp_float8_all_gather"]),
    }


def real_rows(facts: dict[str, Any]) -> dict[str, Any]:
    storage = facts["storage"] if facts["storage"] != "auto" else "bf16"
    policy = facts.get("mp_policy")
    if facts["strategy"] == "FSDP2Config" and policy is not None:
        param, reduce = policy["param_dtype"], policy["reduce_dtype"]
    else:
        param = reduce = storage
    autocast = facts.get("autocast_dtype")
    compute = autocast or param
    rows = {
        "precision": compute,
        "amp_mode": _weights_mode(storage, param, autocast, compute, facts),
        "params_dtype": param,
        "pipeline_dtype": facts.get("pipeline"),
        "grad_reduce_dtype": reduce,
        "loss_scaler": "none" if not facts.get("grad_scaler_in") else "GradScaler in " + ", ".join(facts["grad_scaler_in"]),
    }
    return {**rows, **fp8_rows(facts)}


def run(env: Env, inputs: list[Input], run_probe) -> EnvResult:
    cases = [c for c in (prepare_target(i, "automodel") for i in inputs) if c is not None]
    answer = run_probe(env, "automodel_probe.py", [{"id": c.id, "text": c.text} for c in cases])
    versions = answer["versions"]
    title = f"nemo-automodel {versions['nemo-automodel']} + torchao {versions['torchao']}"
    result = EnvResult(env.name, title, note="convert --target automodel", not_compared=NOT_OBSERVED)
    add_answers(result, cases, answer["results"], real_rows, COMPARED)
    return result

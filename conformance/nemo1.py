"""Harness `nemo1`: NeMo 1.x itself computes the legacy side of each YAML (probes/nemo1_probe.py,
which documents every stand-in), against `verify`'s legacy column under the same `--nemo1-version`
(a fixture's own `--nemo1-version` gives way to the environment's release).

The training script, not the YAML, chooses NeMo 1.x's trainer builder, so each config runs through
every builder that can apply: `MegatronTrainerBuilder` (GPT pretraining and most scripts) and
`MegatronLMPPTrainerBuilder` (the SFT/PEFT tuning scripts) for every config, and
`MegatronBertTrainerBuilder` instead of both for configs whose `name` mentions BERT. verify models
one builder (BERT by that same name, else `MegatronTrainerBuilder`); where the builders disagree
with each other, the rows say so per builder (the row name carries the builder).

Rows from the real objects: the model dtype (`torch_dtype`), weights mode (O2 when the model
parallel config has fp16/bf16 set, i.e. the model would be wrapped in Float16Module; O1 when
autocast is enabled), params and pipeline dtype from `build_model_parallel_config()`; FP8 from the
recipe the legacy `ParallelTransformer` (when it builds Transformer Engine layers) or the release's
Megatron-core (mcore path) constructs; the loss rows from the builder's GradScaler and whether the model
config received a `grad_scale_func`.
"""

from __future__ import annotations

from typing import Any

import yaml

from conformance.cases import Input, prepare_legacy
from conformance.compare import EnvResult, add_answers
from conformance.envs import Env
from migrate.verify.installed.rows import ROWS, recipe_rows

TE_VERSION = "1.2.0"  # the Transformer Engine of NeMo 1.23's container
GPT, BERT, LMPP = "MegatronTrainerBuilder", "MegatronBertTrainerBuilder", "MegatronLMPPTrainerBuilder"
SHORT = {GPT: "gpt", BERT: "bert", LMPP: "lmpp"}
NOT_OBSERVED = ("grad_reduce_dtype", "fp8_params")  # the optimizer and fp8_model_init are not reached
COMPARED = tuple(r for r in ROWS if r not in NOT_OBSERVED)


NO_MODEL = ("no model or trainer section: an inference, evaluation or .nemo model_config layout, whose script "
            "restores a checkpoint instead of building the model through a trainer builder")


def _mapping(text: str) -> dict:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def builders_for(text: str) -> list[str]:
    name = _mapping(text).get("name")
    return [BERT] if isinstance(name, str) and "bert" in name.lower() else [GPT, LMPP]


def real_rows(facts: dict[str, Any]) -> dict[str, Any]:
    mp = facts["model_parallel"]
    precision = facts["torch_dtype"]
    if mp["fp16"] or mp["bf16"]:
        mode = "O2"
    elif mp["enable_autocast"]:
        mode = "O1"
    else:
        mode = "fp32" if precision == "fp32" else f"{precision} without O2 or autocast"
    rows: dict[str, Any] = {"precision": precision, "amp_mode": mode, "params_dtype": mp["params_dtype"],
                            "pipeline_dtype": mp["pipeline_dtype"], "fp4_format": None}
    rows.update(fp8_rows(facts))
    rows.update(loss_rows(facts))
    return rows


def fp8_rows(facts: dict[str, Any]) -> dict[str, Any]:
    recipe = facts.get("recipe") or {}
    if facts["mcore_gpt"]:  # NeMo 1.x builds the Transformer Engine layer spec whatever `transformer_engine` says
        active = facts["transformer_config"]["fp8"] is not None
    else:  # the legacy path builds the recipe for fp8, but FP8 runs only in Transformer Engine layers
        active = "class" in recipe and bool(facts["parallel_transformer"].get("transformer_engine"))
    if not active or "class" not in recipe:
        return {"fp8_format": None}
    rows = recipe_rows(recipe)
    # Neither NeMo 1.x nor its Megatron-core (0.3-0.5) has first/last-layer bf16: every layer runs FP8.
    rows["first_last_layers_bf16"] = False if not facts["has_first_last_layers_bf16"] else None
    return rows


def loss_rows(facts: dict[str, Any]) -> dict[str, Any]:
    scaler = facts.get("scaler")
    if not scaler or not scaler["enabled"]:
        return {"loss_scaler": "none"}
    return {"loss_scaler": "dynamic", "initial_loss_scale": float(scaler["init_scale"]),
            "loss_scale_window": scaler["growth_interval"], "hysteresis": scaler["hysteresis"],
            "min_loss_scale": scaler["min_scale"], "loss_scale_applied": facts["grad_scale_func_set"]}


def run(env: Env, inputs: list[Input], run_probe) -> EnvResult:
    version = env.release.rsplit(".", 1)[0]  # "1.23"
    converted = [c for c in (prepare_legacy(i, version) for i in inputs) if c is not None]
    prepared = [c for c in converted if all(isinstance(_mapping(c.text).get(k), dict) for k in ("model", "trainer"))]
    payload = [{"id": c.id, "text": c.text, "builders": builders_for(c.text), "sets": list(c.input.sets),
                "env": dict(e.split("=", 1) for e in c.input.envs)} for c in prepared]
    answer = run_probe(env, "nemo1_probe.py", payload, TE_VERSION)
    versions = answer["versions"]
    title = f"nemo-toolkit {versions['nemo-toolkit']} + megatron-core {versions['megatron-core']}"
    result = EnvResult(env.name, title, note=f"verify --nemo1-version {version}", not_compared=NOT_OBSERVED,
                       not_run={c.id: NO_MODEL for c in converted if c not in prepared})
    answers = [{**a, "id": f"{a['id']} [{SHORT[a['builder']]}]"} for a in answer["results"]]
    cases = [_per_builder(c, b) for c, p in zip(prepared, payload) for b in p["builders"]]
    add_answers(result, cases, answers, real_rows, COMPARED)
    return result


def _per_builder(case, builder: str):
    """The same verify column, compared once per builder (the case id names the builder)."""
    from dataclasses import replace

    return replace(case, input=replace(case.input, id=f"{case.id} [{SHORT[builder]}]"))

"""Harness `nemo1`: NeMo 1.x itself computes the legacy side of each YAML, with the code `nemo-migrate
snapshot` runs (migrate/verify/installed/nemo1.py, which documents every stand-in; the payload comes
from migrate/verify/snapshot.py's `nemo1_case`, so the harness checks the snapshot path itself),
against `verify --trainer-builder B`'s legacy column under the same `--nemo1-version` (a fixture's own
`--nemo1-version` gives way to the environment's release).

The training script, not the YAML, chooses NeMo 1.x's trainer builder, so each config runs through
every builder that can apply: `MegatronTrainerBuilder` (gpt: GPT pretraining and most scripts) and
`MegatronLMPPTrainerBuilder` (lmpp: the SFT/PEFT tuning scripts) for every config, and
`MegatronBertTrainerBuilder` (bert) instead of both for configs whose `name` mentions BERT. The case
id names the builder (`[gpt]`), and verify's column is computed with that `--trainer-builder`.
(`MegatronT5TrainerBuilder` builds its plugins and scaler as `MegatronTrainerBuilder` does; only its
callbacks differ, so it is not run separately.)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from conformance.cases import Case, Input
from conformance.compare import EnvResult, add_answers
from conformance.envs import Env
from migrate.convert import load_config, spec_for
from migrate.errors import InputError
from migrate.legacy.layout import Skip
from migrate.legacy.roles import detect_runs
from migrate.verify.check import structural_check
from migrate.verify.installed.nemo1 import BUILDER_CLASSES
from migrate.verify.installed.nemo1_rows import NOT_OBSERVED, legacy_rows
from migrate.verify.installed.rows import ROWS
from migrate.verify.snapshot import nemo1_case

TE_VERSION = "1.2.0"  # the Transformer Engine of NeMo 1.23's container
COMPARED = ("precision_plugin", *(r for r in ROWS if r not in NOT_OBSERVED))
NO_MODEL = ("no model or trainer section: an inference, evaluation or .nemo model_config layout, whose script "
            "restores a checkpoint instead of building the model through a trainer builder")


def builders_for(name: Any) -> tuple[str, ...]:
    return ("bert",) if isinstance(name, str) and "bert" in name.lower() else ("gpt", "lmpp")


def real_rows(facts: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, (value, _) in legacy_rows(facts).items()}


def prepare(item: Input, version: str) -> tuple[dict | None, list[Case], str | None] | None:
    """(probe payload, one verify column per builder, why not run) for a config that converts; else None."""
    options = item.options(nemo1_version=version)
    try:
        config = load_config(str(item.path), options)
        spec = spec_for(config, options)
        if isinstance(spec, Skip):
            return None
        layout = next(layout for layout in detect_runs(config) if layout.run == spec.run)
        builders = builders_for(config.data.get("name") if isinstance(config.data, dict) else None)
        cases = []
        for builder in builders:
            legacy = structural_check(str(item.path), replace(options, trainer_builder=builder), installed=False).legacy
            cases.append(Case(replace(item, id=f"{item.id} [{builder}]"), "", {k: e.value for k, e in legacy.entries.items()},
                              (), {k: e.why for k, e in legacy.entries.items()}))
    except (InputError, RecursionError):
        return None
    if not all(isinstance(config.section(key), dict) for key in (layout.model, layout.trainer) if key) or not layout.model:
        return None, cases, NO_MODEL
    return nemo1_case(config, layout, options, builders, item.id), cases, None


def run(env: Env, inputs: list[Input], run_probe) -> EnvResult:
    version = env.release.rsplit(".", 1)[0]  # "1.23"
    prepared = [p for p in (prepare(i, version) for i in inputs) if p is not None]
    payload = [p[0] for p in prepared if p[0] is not None]
    answer = run_probe(env, "nemo1_probe.py", payload, TE_VERSION)
    versions = answer["versions"]
    title = f"nemo-toolkit {versions['nemo-toolkit']} + megatron-core {versions['megatron-core']}"
    not_run = {case.id: why for _, cases, why in prepared if why for case in cases}
    result = EnvResult(env.name, title, note=f"verify --nemo1-version {version} --trainer-builder B",
                       not_compared=NOT_OBSERVED, not_run=not_run)
    builder_of = {name: short for short, name in BUILDER_CLASSES.items()}
    answers = [{**a, "id": f"{a['id']} [{builder_of[a['builder']]}]"} for a in answer["results"]]
    cases = [case for p, cases, why in prepared if why is None for case in cases]
    add_answers(result, cases, answers, real_rows, COMPARED)
    return result

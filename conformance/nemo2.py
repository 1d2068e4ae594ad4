"""Harness `nemo2`: the modules `convert` writes, constructed with the real NeMo 2.x
`MegatronMixedPrecision` and pushed onto real Megatron-core configs (probes/nemo2_probe.py),
against `verify`'s migrated column for the same `--target-nemo`.

The probe hands the plugin convert's module built to migrate/verify/installed/nemo2.py, the code
verify runs where NeMo 2.x is installed. The Transformer Engine version the recipe stand-in reports
decides which recipe branches Megatron-core may take; it is the TE of NeMo 2.5's container (2.6) for
every release.
"""

from __future__ import annotations

from typing import Any

from conformance.cases import Input, prepare_target
from conformance.compare import EnvResult, add_answers
from conformance.envs import Env
from migrate.nemo_releases import RELEASES as TARGET_NEMO_CHOICES
from migrate.verify.installed.nemo2 import DEFAULT_TE_VERSION as TE_VERSION
from migrate.verify.installed.nemo2 import rows as nemo2_rows
from migrate.verify.installed.rows import ROWS


def target_nemo(env: Env) -> str:
    """The --target-nemo for this release: the release itself when the project offers it, else the
    newest release it offers (which is what a user of a newer NeMo would pass)."""
    minor = env.name.split("-", 1)[1]
    return minor if minor in TARGET_NEMO_CHOICES else max(TARGET_NEMO_CHOICES, key=lambda r: tuple(map(int, r.split("."))))


def real_rows(facts: dict[str, Any]) -> dict[str, Any]:
    """NeMo 2.x sets no grad_scale_func (`grad_scale_applied` comes from a scan of the installed
    nemo/lightning and nemo/collections/llm sources for an assignment to it)."""
    return nemo2_rows(facts)


def run(env: Env, inputs: list[Input], run_probe) -> EnvResult:
    target = target_nemo(env)
    cases = [c for c in (prepare_target(i, "nemo2", target) for i in inputs) if c is not None]
    answer = run_probe(env, "nemo2_probe.py", [{"id": c.id, "text": c.text} for c in cases], TE_VERSION)
    versions = answer["versions"]
    title = f"nemo-toolkit {versions['nemo-toolkit']} + megatron-core {versions['megatron-core']}"
    result = EnvResult(env.name, title, note=f"convert --target-nemo {target}")
    add_answers(result, cases, answer["results"], real_rows, ROWS)
    return result

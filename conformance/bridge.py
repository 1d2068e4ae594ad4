"""Harness `bridge`: the modules `convert --target bridge` writes, run against the real Megatron
Bridge `MixedPrecisionConfig` (its wheel's `training/mixed_precision.py`), `finalize()` and
`setup()` onto real Megatron-core configs (probes/bridge_probe.py), against `verify --target
bridge`'s migrated column.

The recipe stand-in reports Transformer Engine 2.19 (the release Bridge 0.6.0 was read against).
`ConfigContainer.validate()` is not run; verify's one check from it (mxfp8 with fp8_param_gather
needs reuse_grad_buf_for_mxfp8_param_ag) is therefore not compared.
"""

from __future__ import annotations

from typing import Any

from conformance.cases import Input, prepare_target
from conformance.compare import EnvResult, add_answers
from conformance.envs import Env
from migrate.verify.installed.bridge import DEFAULT_TE_VERSION as TE_VERSION
from migrate.verify.installed.bridge import rows as bridge_rows
from migrate.verify.installed.rows import ROWS


def real_rows(facts: dict[str, Any]) -> dict[str, Any]:
    """Bridge's train loop gives Megatron-core `grad_scale_func` (found by a scan of its training/ sources)."""
    return bridge_rows(facts)


def run(env: Env, inputs: list[Input], run_probe) -> EnvResult:
    cases = [c for c in (prepare_target(i, "bridge") for i in inputs) if c is not None]
    answer = run_probe(env, "bridge_probe.py", [{"id": c.id, "text": c.text} for c in cases], TE_VERSION)
    versions = answer["versions"]
    title = f"megatron-bridge {versions['megatron-bridge']} + megatron-core {versions['megatron-core']}"
    result = EnvResult(env.name, title, note="convert --target bridge")
    add_answers(result, cases, answer["results"], real_rows, ROWS)
    return result

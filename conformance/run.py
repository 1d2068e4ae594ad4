"""Run harnesses: prepare the project's side here, run the stack's probe in its own environment
(JSON in, JSON out, a subprocess), compare, print the tables."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from conformance.cases import ROOT, collect_inputs, corpus_dir
from conformance.compare import EnvResult, report, summary_table
from conformance.envs import ENVS, Env, env_python, install, installed

PROBES = Path(__file__).resolve().parent / "probes"


def harness(stack: str):
    """The project-side module of a stack: conformance.nemo2, .bridge, .automodel or .nemo1."""
    return importlib.import_module(f"conformance.{stack}")


def run_probe(env: Env, script: str, payload: list[dict[str, Any]], *args: str) -> dict[str, Any]:
    """Run probes/<script> with the environment's Python on `payload`; its JSON answer."""
    with tempfile.TemporaryDirectory(prefix="nemo-migrate-conformance-") as scratch:
        cases, answer = Path(scratch, "cases.json"), Path(scratch, "answer.json")
        cases.write_text(json.dumps(payload), encoding="utf-8")
        variables = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        # The probes import nemo-migrate's `migrate.verify.installed` (standard library only) from this
        # checkout; no bytecode of other Pythons is written into the tree.
        variables.update(env.env, PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(ROOT))
        command = [str(env_python(env)), str(PROBES / script), str(cases), str(answer), *args]
        done = subprocess.run(command, cwd=scratch, env=variables, capture_output=True, text=True)
        if done.returncode != 0 or not answer.exists():
            raise RuntimeError(f"{env.name}: {script} failed (exit {done.returncode}):\n{done.stderr[-6000:]}")
        return json.loads(answer.read_text(encoding="utf-8"))


def run_env(name: str, corpus: Path | None) -> EnvResult:
    env = ENVS[name]
    started = time.perf_counter()
    result = harness(env.stack).run(env, collect_inputs(corpus), run_probe)
    result.seconds = time.perf_counter() - started
    return result


def run_targets(names: list[str], allow_install: bool = True, corpus: str | None = None, json_path: str | None = None) -> int:
    corpus_path = corpus_dir(corpus)
    results, skipped = [], []
    for name in names:
        env = ENVS[name]
        if not installed(env):
            if not allow_install:
                skipped.append(name)
                continue
            seconds = install(env)
            print(f"{name}: installed in {seconds:.0f} s")
        result = run_env(name, corpus_path)
        print(report(result), flush=True)
        results.append(result)
    if len(results) > 1:
        print(summary_table(results))
    if skipped:
        print(f"not installed, skipped: {', '.join(skipped)}")
    if json_path:
        Path(json_path).write_text(json.dumps([r.as_dict() for r in results], indent=1, default=str), encoding="utf-8")
    return 1 if any(r.disagreements for r in results) else 0


"""Run `nemo-migrate` itself inside a conformance environment, as a user runs it in a NeMo container.

The environment keeps its pinned packages; the checkout comes first on the path (PYTHONPATH) and
nemo-migrate's own dependencies that the environment lacks (typer, rich, libcst, ...) are installed
once into `<cache>/project-deps/<env>` with `pip install --target` and put *last* on the path, so
nothing the stack pinned is shadowed. Used by the snapshot / verify round trip between two
environments (tests/conformance/test_round_trip.py).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from conformance.cases import ROOT
from conformance.envs import Env, cache_dir, env_python

DEPENDENCIES = ("libcst>=1.1", "typer>=0.12", "rich>=13", "ruamel.yaml>=0.18")
_LAUNCH = ("import runpy, sys; sys.path.append({deps!r}); sys.argv = ['nemo-migrate'] + sys.argv[1:]; "
           "runpy.run_module('migrate', run_name='__main__')")


def deps_dir(env: Env) -> Path:
    return cache_dir() / "project-deps" / env.name


def ensure_deps(env: Env) -> Path:
    """nemo-migrate's dependencies the environment lacks, installed beside it once."""
    target = deps_dir(env)
    marker = target / ".installed"
    if marker.exists() and marker.read_text() == "\n".join(DEPENDENCIES):
        return target
    command = [str(env_python(env)), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--target", str(target),
               *DEPENDENCIES]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{env.name}: installing nemo-migrate's dependencies failed:\n{done.stderr[-3000:]}")
    marker.write_text("\n".join(DEPENDENCIES))
    return target


def run_nemo_migrate(env: Env, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """`nemo-migrate ARGS` with the environment's Python, the checkout and the environment's stack."""
    deps = ensure_deps(env)
    variables = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    variables.update(env.env, PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    command = [str(env_python(env)), "-c", _LAUNCH.format(deps=str(deps)), *args]
    return subprocess.run(command, cwd=cwd, env=variables, capture_output=True, text=True, check=False)

"""The pinned environments the harnesses run in: what each holds, where it lives, how it is installed.

One virtual environment per stack and release, under the cache directory
(`NEMO_MIGRATE_CONFORMANCE_CACHE`, else `$XDG_CACHE_HOME/nemo-migrate/conformance`, else
`~/.cache/nemo-migrate/conformance`). An environment is installed from its lock file
(`conformance/locks/<name>.txt`, a full `pip freeze`) and is reused while the lock is unchanged.
`python -m conformance lock NAME` re-resolves the top-level pins below and rewrites the lock.

Torch is the CPU build: it is installed first, from the PyTorch CPU index
(`NEMO_MIGRATE_CONFORMANCE_TORCH_INDEX`; empty to skip), falling back to pip's own configuration
(which may provide a CPU wheel through find-links, or else gives PyPI's CUDA build, which also runs
on CPU but is larger).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOCKS = HERE / "locks"
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
# CUDA-only dependencies of PyPI's torch wheel: never locked, pip adds them when it installs that build.
_PLATFORM_ONLY = re.compile(r"^(nvidia-(cu|nccl|nvjitlink|nvshmem|nvtx)|triton==|cuda-)", re.IGNORECASE)
_LOCK_HEADER = "# Lock of the conformance environment {name}: `python -m conformance lock {name}` rewrites it.\n"


@dataclass(frozen=True)
class Env:
    """A pinned environment: `requirements` resolve together; `no_deps` go in afterwards without
    their declared dependencies (packages whose full dependency set needs a GPU build we do not use)."""

    name: str  # "nemo2-2.5"
    stack: str  # "nemo2" | "bridge" | "automodel" | "nemo1"
    release: str  # the stack's release, e.g. "2.5.3"
    python: str  # "3.11"
    requirements: tuple[str, ...]
    no_deps: tuple[str, ...] = ()
    check: str = ""  # Python run in the environment after installing: it must import cleanly
    env: dict[str, str] = field(default_factory=dict)  # variables the probe process needs

    @property
    def lock(self) -> Path:
        return LOCKS / f"{self.name}.txt"


TORCH = "torch==2.13.0"
# numpy 1.x: megatron-core's tensorstore (and onnx's ml_dtypes) were built against it.
_NEMO2_BASE = (TORCH, "lightning==2.4.0", "fiddle", "cloudpickle", "hydra-core==1.3.2", "omegaconf==2.3.0", "numpy==1.26.4")
_ONE_LOGGER = (
    "nv-one-logger-core==2.3.1",
    "nv-one-logger-training-telemetry==2.3.1",
    "nv-one-logger-pytorch-lightning-integration==2.3.1",
)
_NEMO2_CHECK = "from nemo import lightning as nl; nl.MegatronMixedPrecision"


def _nemo2(minor: str, nemo: str, mcore: str, extra: tuple[str, ...] = (), **kw) -> Env:
    return Env(f"nemo2-{minor}", "nemo2", nemo, "3.11", (f"nemo-toolkit=={nemo}", f"megatron-core=={mcore}", *_NEMO2_BASE, *extra),
               check=_NEMO2_CHECK, **kw)


# NeMo 1.x without its GPU-only dependencies (triton, apex, Transformer Engine): the packages its
# trainer builders and MegatronGPTModel import, with the versions of its time (transformers and
# huggingface-hub of early 2024, setuptools that still has pkg_resources for Lightning 2.0).
_NEMO1_BASE = (
    TORCH, "pytorch-lightning==2.0.7", "hydra-core==1.3.2", "omegaconf==2.3.0", "numpy<2", "setuptools==80.9.0",
    "transformers==4.38.2", "huggingface-hub==0.22.2", "pangu==4.0.6.1", "webdataset==0.1.62", "torchmetrics",
    "sentencepiece", "pandas", "braceexpand", "h5py", "psutil", "ijson", "sacremoses", "matplotlib", "einops",
    "wrapt", "ruamel.yaml", "tqdm", "text-unidecode", "python-dateutil", "scikit-learn", "onnx", "numba",
    "tensorboard", "wget", "sacrebleu", "rouge-score", "jieba", "opencc",
)
_NEMO1_CHECK = ("import sys, types; sys.modules['youtokentome'] = types.ModuleType('youtokentome'); "
                "from nemo.collections.nlp.parts.megatron_trainer_builder import MegatronTrainerBuilder")


def _nemo1(minor: str, nemo: str, mcore: str) -> Env:
    return Env(f"nemo1-{minor}", "nemo1", nemo, "3.11", _NEMO1_BASE,
               no_deps=(f"nemo-toolkit=={nemo}", f"megatron-core=={mcore}"), check=_NEMO1_CHECK)


ENVS: dict[str, Env] = {
    env.name: env
    for env in (
        _nemo2("2.0", "2.0.0", "0.10.0", ("psutil", "zarr<3")),
        _nemo2("2.2", "2.2.1", "0.11.0", ("psutil", "zarr<3")),  # 2.1.0's mixed_precision.py is byte-identical to 2.2.1's
        _nemo2("2.3", "2.3.3", "0.12.3", ("defusedxml", "psutil", "nvidia-resiliency-ext")),
        _nemo2("2.4", "2.4.1", "0.13.1", ("defusedxml", "nvidia-resiliency-ext")),
        _nemo2("2.5", "2.5.3", "0.14.0", _ONE_LOGGER),
        # megatron-core 0.15 compiles a CUDA extension at import unless an architecture list is set.
        _nemo2("2.6", "2.6.2", "0.15.3", _ONE_LOGGER, env={"TORCH_CUDA_ARCH_LIST": "9.0"}),
        _nemo2("2.7", "2.7.3", "0.16.1", _ONE_LOGGER),
        # Bridge: the package imports Transformer Engine, so it goes in without dependencies and
        # only its training/mixed_precision.py file is used (with the Megatron-core it was released with).
        *(
            Env(f"bridge-{release}", "bridge", release, "3.12", (TORCH, f"megatron-core=={mcore}"),
                no_deps=(f"megatron-bridge=={release}",),
                check="import megatron.core.optimizer, megatron.core.distributed, megatron.core.fp8_utils")
            for release, mcore in (("0.6.0", "0.19.0"), ("0.6.2", "0.19.2"))
        ),
        # 1.21: the legacy path's FP8 defaults were 1 / "most_recent" (1.22 changed them to 1.23's). No 1.22
        # environment: the sdist of its megatron-core 0.4.0 does not build (no megatron/core/requirements.txt).
        _nemo1("1.21", "1.21.0", "0.3.0"),
        _nemo1("1.23", "1.23.0", "0.5.0"),
        # AutoModel: its config code needs torch, PyYAML and torchao (for the float8 recipe objects).
        Env("automodel-0.7.0", "automodel", "0.7.0", "3.11", (TORCH, "pyyaml", "packaging", "torchao==0.18.0"),
            no_deps=("nemo-automodel==0.7.0",),
            check="import nemo_automodel.recipes._dist_utils, nemo_automodel.components.quantization.fp8"),
    )
}


def cache_dir() -> Path:
    explicit = os.environ.get("NEMO_MIGRATE_CONFORMANCE_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nemo-migrate" / "conformance"


def env_dir(env: Env) -> Path:
    return cache_dir() / "envs" / env.name


def env_python(env: Env) -> Path:
    return env_dir(env) / "bin" / "python"


def _fingerprint(env: Env) -> str:
    text = env.lock.read_text(encoding="utf-8") if env.lock.exists() else ""
    return hashlib.sha256("\n".join([env.python, *env.no_deps, text]).encode()).hexdigest()[:16]


def installed(env: Env) -> bool:
    """True when the cached environment exists and was installed from the current lock."""
    marker = env_dir(env) / ".conformance-lock"
    return env.lock.exists() and marker.exists() and marker.read_text().strip() == _fingerprint(env)


def find_python(version: str) -> str:
    """An interpreter for `version`: NEMO_MIGRATE_CONFORMANCE_PYTHON<maj>_<min>, pythonX.Y on PATH, or pyenv's."""
    variable = "NEMO_MIGRATE_CONFORMANCE_PYTHON" + version.replace(".", "_")
    candidates = [os.environ.get(variable, ""), f"python{version}"]
    try:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
        candidates += sorted((str(p) for p in Path(root, "versions").glob(f"{version}.*/bin/python{version}")), reverse=True)
    except (OSError, subprocess.CalledProcessError):
        pass
    for candidate in filter(None, candidates):
        try:
            out = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                 capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout.strip() == version:
            return candidate
    raise RuntimeError(f"no Python {version} found: set {variable} to an interpreter of that version")


def _pip(python: Path, *args: str, quiet: bool = True) -> subprocess.CompletedProcess:
    command = [str(python), "-m", "pip", "--disable-pip-version-check", *(("-q",) if quiet else ()), *args]
    return subprocess.run(command, capture_output=True, text=True)


def _must(result: subprocess.CompletedProcess, what: str) -> None:
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{result.stderr[-4000:]}")


def _install_torch(python: Path, torch: str) -> None:
    index = os.environ.get("NEMO_MIGRATE_CONFORMANCE_TORCH_INDEX", TORCH_INDEX)
    if index and _pip(python, "install", "--retries", "0", "--index-url", index, torch).returncode == 0:
        return
    _must(_pip(python, "install", torch), f"pip install {torch}")


def _create(env: Env, log) -> Path:
    target = env_dir(env)
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    interpreter = find_python(env.python)
    log(f"{env.name}: creating a Python {env.python} environment in {target}")
    subprocess.run([interpreter, "-m", "venv", str(target)], check=True)
    python = env_python(env)
    torch = next((r for r in env.requirements if r.startswith("torch==")), None)
    if torch:
        _install_torch(python, torch)
    return python


def _finish(env: Env, python: Path) -> None:
    if env.no_deps:
        _must(_pip(python, "install", "--no-deps", *env.no_deps), f"pip install --no-deps {' '.join(env.no_deps)}")
    if env.check:
        variables = {**os.environ, **env.env}
        result = subprocess.run([str(python), "-c", env.check], capture_output=True, text=True, env=variables)
        _must(result, f"{env.name}: import check {env.check!r}")


def install(env: Env, log=print) -> float:
    """Install `env` from its lock; returns the seconds it took."""
    if not env.lock.exists():
        raise RuntimeError(f"{env.lock.name} is missing: run `python -m conformance lock {env.name}` first")
    started = time.perf_counter()
    python = _create(env, log)
    log(f"{env.name}: pip install -r {env.lock.relative_to(HERE.parent)}")
    _must(_pip(python, "install", "-r", str(env.lock)), f"pip install -r {env.lock.name}")
    _finish(env, python)
    (env_dir(env) / ".conformance-lock").write_text(_fingerprint(env) + "\n")
    return time.perf_counter() - started


def lock_lines(freeze: str, no_deps: tuple[str, ...]) -> list[str]:
    """`pip freeze` output as lock lines: without pip, the --no-deps packages and CUDA-only wheels;
    torch without its local build label (+cpu), so the same lock also installs PyPI's build."""
    skip = {re.split(r"[=<>\[ ]", r, maxsplit=1)[0].lower().replace("_", "-") for r in no_deps} | {"pip"}
    lines = []
    for line in freeze.splitlines():
        name = line.split("==", 1)[0].lower().replace("_", "-")
        if not line or line.startswith("#") or name in skip or _PLATFORM_ONLY.match(line):
            continue
        lines.append(re.sub(r"^(torch(?:vision|audio)?==[^+]+)\+\w+$", r"\1", line))
    return lines


def lock(env: Env, log=print, reuse: bool = False) -> Path:
    """Resolve the top-level pins afresh, install them into the cache, and write the lock file.
    With `reuse`, freeze the cached environment as it is (after it passes the import check)."""
    if reuse and env_python(env).exists():
        python = env_python(env)
    else:
        python = _create(env, log)
        log(f"{env.name}: pip install {' '.join(env.requirements)}")
        _must(_pip(python, "install", *env.requirements), "pip install")
    _finish(env, python)
    frozen = _pip(python, "freeze", "--all", "--exclude-editable")
    _must(frozen, "pip freeze")
    lines = lock_lines(frozen.stdout, env.no_deps)
    LOCKS.mkdir(exist_ok=True)
    env.lock.write_text(_LOCK_HEADER.format(name=env.name) + "\n".join(lines) + "\n", encoding="utf-8")
    (env_dir(env) / ".conformance-lock").write_text(_fingerprint(env) + "\n")
    return env.lock


def disk_usage(path: Path) -> int:
    """Bytes under `path` (files counted once)."""
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


"""Start-up of the command line: `nemo-migrate lint` of one small file, best of N wall and CPU times,
and which heavy modules each path imports (`python -X importtime`).

    python bench/bench_startup.py [--repeat N]

`lint` is parsed by argparse (migrate/lint/fastcli.py) and must import neither typer (which loads
pydantic), rich, libcst, hydra nor torch for a YAML file; the other commands go through typer. Each
command runs as a new process, as a pre-commit hook or a CI step starts it. Prints Markdown.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "fixtures" / "convert" / "legacy_fp8_absent_history.yaml"  # 19 lines, one FP8 run
WATCHED = ("typer", "pydantic", "rich", "click", "libcst", "omegaconf", "hydra", "torch", "transformer_engine")


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    for name in ("GITHUB_ACTIONS", "NEMO_MIGRATE_OUTPUT_FORMAT", "PYTHONPROFILEIMPORTTIME"):
        env.pop(name, None)
    return env


def best_times(command: list[str], repeat: int) -> tuple[float, float]:
    """Fastest wall time and fastest CPU time (user + system) of `command`, in seconds, over `repeat`
    runs after one warm-up run. On a shared machine the CPU time varies less than the wall time."""
    env = _env()
    subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return min(walls), min(cpus)


def imports(arguments: list[str]) -> tuple[set[str], list[tuple[int, str]]]:
    """(watched top-level packages imported, the five largest cumulative import times in µs) of
    `python -X importtime -m migrate ARGS`."""
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "migrate", *arguments], cwd=ROOT, env=_env(),
                         capture_output=True, text=True, check=False)
    loaded: set[str] = set()
    cumulative: list[tuple[int, str]] = []
    for line in run.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if not match:
            continue
        name = match.group(3)
        loaded.add(name.split(".")[0])
        if not match.group(2).strip() and len(match.group(2)) <= 1:
            cumulative.append((int(match.group(1)), name))
    return {w for w in WATCHED if w in loaded}, sorted(cumulative, reverse=True)[:5]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    executable = Path(sys.executable).with_name("nemo-migrate")
    lint_args = ["lint", "-q", "--exit-zero", str(SMALL)]
    cases = [
        ("`nemo-migrate lint one.yaml`", [str(executable), *lint_args] if executable.exists() else None, lint_args),
        ("`python -m migrate lint one.yaml`", [sys.executable, "-m", "migrate", *lint_args], lint_args),
        ("`nemo-migrate lint --help`", [sys.executable, "-m", "migrate", "lint", "--help"], ["lint", "--help"]),
        ("`nemo-migrate --version` (typer)", [sys.executable, "-m", "migrate", "--version"], ["--version"]),
        ("`nemo-migrate convert --help` (typer)", [sys.executable, "-m", "migrate", "convert", "--help"], ["convert", "--help"]),
        ("bare `python -c pass`", [sys.executable, "-c", "pass"], None),
    ]
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; best of {args.repeat} runs, new process each\n")
    print("| command | best wall ms | best CPU ms | heavy packages imported | largest imports (cumulative ms) |")
    print("| --- | ---: | ---: | --- | --- |")
    for label, command, import_args in cases:
        if command is None:
            continue
        seconds, cpu = best_times(command, args.repeat)
        if import_args is None:
            loaded, largest = set(), []
        else:
            loaded, largest = imports(import_args)
        heavy = ", ".join(sorted(loaded)) or "none"
        top = ", ".join(f"{name} {micros / 1000:.0f}" for micros, name in largest if name != "encodings") or "-"
        print(f"| {label} | {seconds * 1000:.0f} | {cpu * 1000:.0f} | {heavy} | {top} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

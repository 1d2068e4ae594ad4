"""Benchmark `nemo-migrate lint` on the dev corpus and on the corpus copied ten times, pinned to one
CPU core, against yamllint on the same files in the same run.

    python bench/bench_lint.py [CORPUS_DIR] [--repeat N]

yamllint is only needed here (`pip install yamllint`); without it its rows are left out. Prints a
Markdown table; wall times include interpreter start-up, as a CI step sees them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "dev"


def _pin() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def wall(command: list[str], repeat: int) -> float:
    """Median wall time of `command` (seconds) on one core; its exit status is not judged."""
    times = []
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    env.pop("GITHUB_ACTIONS", None)
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=False, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_pin)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def in_process_rate(files: list[Path]) -> float:
    """Files per second of the lint itself (no start-up), after one warm-up pass."""
    sys.path.insert(0, str(ROOT))
    from migrate.lint.runner import LintSettings, lint_file

    settings = LintSettings()
    for path in files[:20]:
        lint_file(str(path), settings)
    start = time.process_time()
    for path in files:
        lint_file(str(path), settings)
    return len(files) / (time.process_time() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    corpus = Path(args.corpus)
    files = sorted(corpus.glob("*.yaml"))
    if not files:
        print(f"{corpus}: no *.yaml files", file=sys.stderr)
        return 2
    _pin()
    python = sys.executable
    have_yamllint = _has("yamllint")
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "corpus_x10"
        for copy in range(10):
            for path in files:
                target = big / f"copy{copy}" / path.name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
        sets = {"dev corpus": (corpus, len(files)), "dev corpus x10": (big, 10 * len(files))}
        rows = []
        for label, (folder, count) in sets.items():
            lint = wall([python, "-m", "migrate", "lint", "-q", "--exit-zero", str(folder)], args.repeat)
            row = [label, str(count), f"{lint:.2f} s", f"{count / lint:.0f}"]
            if have_yamllint:
                yl = wall([python, "-m", "yamllint", "-f", "parsable", "-d", "relaxed", str(folder)], args.repeat)
                row += [f"{yl:.2f} s", f"{count / yl:.0f}", f"{yl / lint:.1f}x"]
            rows.append(row)
        rate = in_process_rate(sorted(big.rglob("*.yaml")))
    one = str(files[0] if not (corpus / "launcher-24.07__launcher_scripts__conf__training__gpt3__175b_fp8.yaml").exists()
              else corpus / "launcher-24.07__launcher_scripts__conf__training__gpt3__175b_fp8.yaml")
    repeat_one = max(args.repeat, 10)
    single = wall([python, "-m", "migrate", "lint", "-q", "--exit-zero", one], repeat_one)
    fast = wall([python, "-m", "migrate.lint", "-q", "--exit-zero", one], repeat_one)
    version = wall([python, "-m", "migrate", "--version"], repeat_one)
    bare = wall([python, "-c", "pass"], repeat_one)
    single_yl = wall([python, "-m", "yamllint", "-d", "relaxed", one], repeat_one) if have_yamllint else None

    head = "| files | n | nemo-migrate lint | files/s |"
    sep = "|---|---:|---:|---:|"
    if have_yamllint:
        head += " yamllint (relaxed) | files/s | lint speed-up |"
        sep += "---:|---:|---:|"
    print(head)
    print(sep)
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print(f"- lint work alone, in process (no start-up), corpus x10: {rate:.0f} files/s of CPU time")
    print(f"- `nemo-migrate lint one.yaml` ({Path(one).name}): {single * 1000:.0f} ms wall (median of {repeat_one})")
    print(f"- the same through `python -m migrate.lint` (argparse, no typer): {fast * 1000:.0f} ms")
    print(f"- `nemo-migrate --version` (typer start-up alone): {version * 1000:.0f} ms; bare `python -c pass`: {bare * 1000:.0f} ms")
    if single_yl is not None:
        print(f"- `yamllint one.yaml`: {single_yl * 1000:.0f} ms")
    return 0


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark `convert`: files per second over the development corpus (once and x10) and peak memory.

Usage: python bench/bench_convert.py [CORPUS_DIR]
Defaults to ../shared/corpus/dev beside the checkout, else the project's own fixtures.
Numbers are printed; record them in README.md.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from migrate.convert import ConvertOptions, convert_path  # noqa: E402


def corpus_files(argument: str | None) -> list[Path]:
    candidates = (
        [Path(argument)]
        if argument
        else [ROOT.parent / "shared" / "corpus" / "dev", ROOT / "fixtures" / "convert"]
    )
    for folder in candidates:
        files = sorted(folder.glob("*.yaml"))
        if files:
            return files
    raise SystemExit("no YAML files found")


def run(files: list[Path], repeat: int) -> tuple[float, dict[str, int]]:
    counts: dict[str, int] = {}
    options = ConvertOptions()
    start = time.perf_counter()
    for _ in range(repeat):
        for path in files:
            status = convert_path(str(path), options).status
            counts[status] = counts.get(status, 0) + 1
    return time.perf_counter() - start, counts


def main() -> None:
    files = corpus_files(sys.argv[1] if len(sys.argv) > 1 else None)
    run(files[:5], 1)  # warm imports and caches
    for repeat in (1, 10):
        seconds, counts = run(files, repeat)
        total = sum(counts.values())
        print(
            f"convert x{repeat:<2} {total:5d} files  {seconds:7.3f} s  {total / seconds:8.1f} files/s  {counts}"
        )
    tracemalloc.start()
    run(files, 1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak Python allocations during one corpus pass: {peak / 2**20:.1f} MiB")
    print(
        f"peak resident set size of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MiB"
    )
    one = str(files[0])
    walls = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "migrate", "convert", one, "-q"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            check=False,
        )
        walls.append(time.perf_counter() - start)
    print(f"`nemo-migrate convert one.yaml` wall time (best of 5, new process): {min(walls) * 1000:.0f} ms")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()

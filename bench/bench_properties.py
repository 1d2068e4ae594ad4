"""The property test of tests/hostile/test_precision_properties.py on many more examples.

    python bench/bench_properties.py [--examples N] [--seed S]

Generates N random precision YAML documents (hypothesis; a fixed seed repeats a run), runs convert
(nemo2, bridge, automodel, twice each), lint and verify --no-numeric on each in-process, checks the
same properties as the CI test, and prints examples per second and every distinct failure with its
shortest document. Exit status 1 when any failure was found.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "hostile"))

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from precision_yaml import documents, outcomes  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    failures: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    count = 0

    @settings(max_examples=args.examples, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(text=documents())
    def explore(text: str) -> None:
        nonlocal count
        count += 1
        for outcome in outcomes(text, folder):
            name = "NEW"
            failures[(name, outcome.command, re.sub(r"\d+", "N", outcome.detail)[:120])].append(text)

    run = explore if args.seed is None else seed(args.seed)(explore)
    start = time.perf_counter()
    cpu = time.process_time()
    run()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"{count} examples in {wall:.1f} s ({count / wall:.1f} examples/s; {count / cpu:.1f} per CPU second)")
    print(f"each example: 3 targets x 2 convert runs, lint, verify --no-numeric ({8 * count} command runs)")
    new = 0
    for (name, command, detail), texts in sorted(failures.items()):
        new += name == "NEW"
        shortest = min(texts, key=len)
        print(f"\n[{name}] {command}: {detail}  ({len(texts)} documents)")
        print("  shortest: " + repr(shortest if len(shortest) < 400 else shortest[:400] + "..."))
    if not failures:
        print("no failures")
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())

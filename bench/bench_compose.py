"""Benchmark composing Hydra defaults lists: time per composed config, split into hydra-core's own
work (compute_defaults_list + compose) and the replay that keeps every key's file and line.

Usage: python bench/bench_compose.py [CONFIG.yaml ...]
Defaults to the composed-run fixtures. Numbers are printed; record them in README.md.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from migrate.legacy import compose  # noqa: E402
from migrate.legacy.yamlsource import read_yaml_file  # noqa: E402

DEFAULT = [
    ROOT / "fixtures" / "compose" / "sd" / "conf" / "sd_train.yaml",
    ROOT / "fixtures" / "compose" / "relative" / "nlp" / "conf" / "t5_like.yaml",
]
ROUNDS = 10


def main(paths: list[Path]) -> None:
    started = time.perf_counter()
    import hydra.compose  # noqa: F401  (what the first composition in a process pays once)

    print(f"import hydra-core: {(time.perf_counter() - started) * 1e3:.0f} ms")
    original = compose._run_hydra
    spent = [0.0]

    def timed(*args):
        begin = time.perf_counter()
        try:
            return original(*args)
        finally:
            spent[0] += time.perf_counter() - begin

    compose._run_hydra = timed
    for path in paths:
        document = read_yaml_file(str(path))
        compose.compose_document(document)  # warm-up: plugin registration, first reads
        spent[0] = 0.0
        begin = time.perf_counter()
        for _ in range(ROUNDS):
            result = compose.compose_document(document)
        total = (time.perf_counter() - begin) / ROUNDS
        hydra_part = spent[0] / ROUNDS
        keys = len(result.key_spans)
        print(f"{path.name}: {total * 1e3:.0f} ms per composition ({keys} keys): hydra-core {hydra_part * 1e3:.0f} ms, "
              f"replay with spans + check {max(total - hydra_part, 0) * 1e3:.1f} ms")


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]] or DEFAULT)

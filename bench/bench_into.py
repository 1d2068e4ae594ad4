"""Benchmark `convert --into`: rewrite time against script size, and hostile expression scripts.

    python bench/bench_into.py [--repeat N]

Scripts are generated here, never committed: the 16-line golden case
`fixtures/codemod/aliased_plugin_update.before.py`, the same case padded with ordinary training-script
code to 315 and 1,515 lines, the NeMo recipe case `recipe_pretrain.before.py` (plugin added after the
recipe) as it is and padded the same way, flat lists of 4,000 and 20,000 names (large, but shallow), and a single
`a0 + a1 + ...` expression of 4,000 and 20,000 terms (a tree as deep as it is long, which the parse
guard refuses). Prints a Markdown table: the fastest of N in-process rewrites (guard, parse,
locate, rewrite, code generation; no interpreter start-up) and one full `nemo-migrate` process per
script, both as CPU time (user + system), which a busy machine disturbs less than wall time.
`--qualified-names` adds what resolving libcst's QualifiedNameProvider over the same scripts would
cost (nemo2/calls.py reads import lines instead). Record the figures in README.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASE = ROOT / "fixtures" / "codemod" / "aliased_plugin_update.before.py"
RECIPE = ROOT / "fixtures" / "codemod" / "recipe_pretrain.before.py"  # a NeMo recipe with no explicit plugin
CONFIG = ROOT / "fixtures" / "codemod" / "legacy" / "bf16_o2_fp8_delayed.yaml"

_BLOCK = '''

def build_data_{i}(seq_length: int = 4096, global_batch_size: int = 512):
    """Data module {i}: the paths and sizes one experiment uses."""
    paths = [
        "/data/corpus_{i}/shard_00_text_document",
        "/data/corpus_{i}/shard_01_text_document",
    ]
    settings = {{
        "seq_length": seq_length,
        "micro_batch_size": 2,
        "global_batch_size": global_batch_size,
        "num_workers": 8,  # enough to keep the GPUs fed
    }}
    if global_batch_size % 8 != 0:
        raise ValueError(f"batch {{global_batch_size}} is not a multiple of 8")
    return PreTrainingDataModule(paths=paths, tokenizer=tokenizer_{i}(), **settings)
'''


def padded_script(lines: int, base: Path = BASE) -> str:
    """A golden case plus generated ordinary functions up to `lines` lines."""
    text = base.read_text(encoding="utf-8")
    i = 0
    while text.count("\n") < lines:
        block = _BLOCK.format(i=i)
        if text.count("\n") + block.count("\n") > lines:
            text += "\n" * (lines - text.count("\n"))
            break
        text += block
        i += 1
    return text


def flat_list_script(terms: int) -> str:
    return BASE.read_text(encoding="utf-8") + "\nnames = [" + ", ".join(f"a{i}" for i in range(terms)) + "]\n"


def chain_script(terms: int) -> str:
    return BASE.read_text(encoding="utf-8") + "\ntotal = " + " + ".join(f"a{i}" for i in range(terms)) + "\n"


SCRIPTS = [
    ("golden case", lambda: BASE.read_text(encoding="utf-8")),
    ("padded", lambda: padded_script(315)),
    ("padded", lambda: padded_script(1515)),
    ("recipe golden case", lambda: RECIPE.read_text(encoding="utf-8")),
    ("recipe, padded", lambda: padded_script(315, RECIPE)),
    ("recipe, padded", lambda: padded_script(1515, RECIPE)),
    ("flat list, 4,000 names", lambda: flat_list_script(4000)),
    ("flat list, 20,000 names", lambda: flat_list_script(20000)),
    ("`a0 + a1 + ...`, 4,000 terms", lambda: chain_script(4000)),
    ("`a0 + a1 + ...`, 20,000 terms", lambda: chain_script(20000)),
]


def in_process(text: str, repeat: int) -> tuple[float, str]:
    """The fastest of `repeat` rewrites (or refusals), CPU seconds, and its outcome."""
    from migrate.codemod.rewrite import rewrite_script
    from migrate.convert import ConvertOptions, load_config, spec_for
    from migrate.errors import InputError
    from migrate.plan.targets import plan_nemo2

    options = ConvertOptions()
    plan = plan_nemo2(spec_for(load_config(str(CONFIG), options), options), options.target_nemo)
    times, outcome = [], ""
    for _ in range(repeat):
        start = time.process_time()
        try:
            rewrite_script(text, "train.py", plan)
            outcome = "rewritten"
        except InputError as error:
            outcome = f"refused: {error.message[:70]}"
        except Exception as error:  # the figures of a version without the guard
            outcome = f"crashed: {type(error).__name__}"
        times.append(time.process_time() - start)
    return min(times), outcome


def qualified_names(text: str, repeat: int) -> float:
    """The fastest of `repeat` QualifiedNameProvider resolutions of the parsed script, CPU seconds."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, QualifiedNameProvider

    module = cst.parse_module(text)
    times = []
    for _ in range(repeat):
        start = time.process_time()
        MetadataWrapper(module, unsafe_skip_copy=True).resolve(QualifiedNameProvider)
        times.append(time.process_time() - start)
    return min(times)


def process(text: str, folder: Path, timeout: float) -> tuple[float, int | None]:
    """CPU seconds (user + system) and exit status of `nemo-migrate convert CONFIG --into train.py` in
    a new process, start-up included."""
    script = folder / "train.py"
    script.write_text(text, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    command = [sys.executable, "-m", "migrate.entry", "convert", str(CONFIG), "--into", str(script), "-q"]
    before = _children_cpu()
    try:
        done = subprocess.run(command, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              check=False, timeout=timeout)
    except subprocess.TimeoutExpired:
        return timeout, None
    return _children_cpu() - before, done.returncode


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds before a new process is stopped")
    parser.add_argument("--qualified-names", action="store_true", help="also time libcst's QualifiedNameProvider")
    args = parser.parse_args()
    if args.qualified_names:
        print("| script | lines | rewrite, in process (CPU, fastest) | QualifiedNameProvider alone (CPU, fastest) |")
        print("| --- | ---: | ---: | ---: |")
        for name, make in SCRIPTS[:6]:
            text = make()
            seconds, _ = in_process(text, args.repeat)
            print(f"| {name} | {text.count(chr(10)):,} | {seconds * 1000:,.0f} ms "
                  f"| {qualified_names(text, args.repeat) * 1000:,.0f} ms |", flush=True)
        return
    folder = Path(tempfile.mkdtemp())
    try:
        print("| script | lines | bytes | rewrite, in process (CPU, fastest) | `convert --into`, new process (CPU) | exit | outcome |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
        for name, make in SCRIPTS:
            text = make()
            wall, code = process(text, folder, args.timeout)
            if code is None:
                print(f"| {name} | {text.count(chr(10)):,} | {len(text.encode()):,} | - | > {args.timeout:.0f} s | - | stopped |")
                continue
            seconds, outcome = in_process(text, args.repeat)
            print(
                f"| {name} | {text.count(chr(10)):,} | {len(text.encode()):,} | {seconds * 1000:,.0f} ms "
                f"| {wall * 1000:,.0f} ms | {code} | {outcome} |",
                flush=True,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Wall time of `nemo-migrate verify` end to end (a fresh process each: torch and TE imports
included) and its peak GPU memory per config; the O1 distances of the O1 fixtures; the fp16
loss-scale histories under the overflow schedule; `--gpus 2` when two GPUs are there; the FP8 vs
bf16 layer benchmark. Needs a CUDA GPU with Transformer Engine; prints Markdown for the README.

    python bench/bench_verify.py [--out DIR] [--skip-benchmark]

With --out, DIR receives bench_verify.md (what is printed), bench_verify.json (every verify
report) and the --plot images of the O1 and fp16 fixtures.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "verify"
CASES = (  # the O1 and fp16 fixtures first: a run cut short by a time limit still has them
    ("o1_bf16.yaml", None),
    ("o1_fp8.yaml", None),
    ("fp16_o1.yaml", None),
    ("fp16_fp8.yaml", None),
    ("delayed_hybrid.yaml", None),
    ("reduce_amax_false.yaml", None),
    ("bf16_no_fp8.yaml", None),
    ("history_default.yaml", "naive_history_default.py"),
    ("e4m3.yaml", None),
    ("history_default.yaml", None),
)
PLOTTED = ("o1_fp8", "fp16_o1")
TWO_GPU_CASES = (
    ("delayed_hybrid.yaml", None),
    ("grad_sync_bf16.yaml", None),
    ("grad_sync_bf16.yaml", "naive_grad_sync_bf16.py"),
    ("reduce_amax_false.yaml", None),
)


class Report:
    """Prints Markdown and, with --out, appends it to bench_verify.md as it goes (a run cut short
    by a time limit keeps what it measured)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        if path is not None:
            path.write_text("")

    def __call__(self, line: str = "") -> None:
        print(line, flush=True)
        if self.path is not None:
            with self.path.open("a") as handle:
                handle.write(line + "\n")


def run(args: list[str], out: Path) -> tuple[int, float, dict]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "migrate", "verify", *args, "--json", str(out)], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1, 5):
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
    return done.returncode, wall, json.loads(out.read_text()) if out.exists() else {}


def _name(yaml_name: str, script: str | None, gpus: int = 1) -> str:
    return Path(yaml_name).stem + ("-" + Path(script).stem if script else "") + (f"-{gpus}gpus" if gpus > 1 else "")


def _log2(value: float) -> str:
    if value > 0 and math.log2(value).is_integer():
        return str(int(math.log2(value)))
    return f"{value:g}"


def verify_table(say: Report, work: Path, reports: dict, plots: Path | None, cases, gpus: int = 1) -> None:
    say("| config | migrated from | GPUs | exit | verdict | verify wall s | imports s | numeric s | peak GPU MiB | first divergence |")
    say("|---|---|---|---|---|---|---|---|---|---|")
    for yaml_name, script in cases:
        name = _name(yaml_name, script, gpus)
        args = [str(FIXTURES / yaml_name), "--require-gpu"] + (["--script", str(FIXTURES / script)] if script else [])
        if gpus > 1:
            args += ["--gpus", str(gpus)]
        if plots is not None and name in PLOTTED:
            args += ["--plot", str(plots / f"{name}.png")]
        code, wall, report = run(args, work / f"{name}.json")
        reports[name] = {"exit": code, "wall_s": wall, "report": report}
        if plots is not None or say.path is not None:
            target = (say.path.parent if say.path is not None else plots) / "bench_verify.json"
            target.write_text(json.dumps(reports, indent=1) + "\n")
        numeric = report.get("numeric", {})
        timings = report.get("timings_s", {})
        first = (numeric.get("first_divergence") or {}).get("step", "-")
        per_rank = numeric.get("peak_memory_bytes_per_rank") or []
        peak = " / ".join(f"{p / 2**20:.0f}" for p in per_rank) if per_rank else f"{numeric.get('peak_memory_bytes', 0) / 2**20:.0f}"
        say(f"| {yaml_name} | {script or 'convert'} | {gpus} | {code} | {report.get('verdict', '-')} | {wall:.1f} | "
            f"{timings.get('import torch+TE', 0):.1f} | {timings.get('numeric', 0):.1f} | {peak} | {first} |")


def distances(say: Report, reports: dict) -> None:
    for name in ("o1_bf16", "o1_fp8", "fp16_o1"):
        numeric = reports.get(name, {}).get("report", {}).get("numeric", {})
        ranks = numeric.get("ranks") or [{}]
        found = ranks[0].get("distances")
        if not found:
            say(f"{name}: no distances ({numeric.get('outcome') or numeric.get('failed') or numeric.get('skipped_reason')})")
            say()
            continue
        judged = found["judged"]
        refs = {pair["of"]: pair for pair in found["references"]}
        tolerance = found["tolerance"]
        say(f"{name}: O1 (legacy) vs O2 (migrated), relative error of the output per step; tolerance {tolerance['name']} "
            f"rel <= {tolerance['max_relative_error']}, cos >= {tolerance['min_cosine']}; within: {found['within_tolerance']}")
        say()
        say("| step | legacy vs fp32 | migrated vs fp32 | migrated vs legacy | cosine |")
        say("|---|---|---|---|---|")
        for i, (error, cosine) in enumerate(zip(judged["relative_error"], judged["cosine"])):
            legacy = refs.get("legacy", {}).get("relative_error", [None] * (i + 1))[i]
            migrated = refs.get("migrated", {}).get("relative_error", [None] * (i + 1))[i]
            say(f"| {i + 1} | {_fmt(legacy)} | {_fmt(migrated)} | {_fmt(error)} | {_fmt(cosine, '.6f')} |")
        say()


def _fmt(value, spec: str = ".4f") -> str:
    return "-" if value is None or isinstance(value, str) else format(value, spec)


def scale_histories(say: Report, reports: dict) -> None:
    for name in ("fp16_fp8", "fp16_o1"):
        scaling = (reports.get(name, {}).get("report", {}).get("numeric") or {}).get("loss_scaling")
        if not scaling:
            continue
        histories = scaling["histories"]
        spikes = set(scaling["schedule"]["spike_steps"])
        say(f"{name}: fp16 loss scale (log2, after each step) under the overflow schedule, {scaling['schedule']['steps']} steps; "
            f"scales differ from step {scaling['first_scale_difference']}, skipped steps from step "
            f"{scaling['first_skip_difference']}; twin bitwise equal to migrated: {scaling['twin_bitwise_equal']}")
        say()
        labels = [label for label in ("legacy", "migrated", "twin") if label in histories]
        for label in labels:
            history = histories[label]
            say(f"- {label} ({history['implementation']}): {len(history['skipped_steps'])} skipped, {history['backoffs']} backoffs, "
                f"{history['growths']} growths, lowest {_log2(history['min_scale'])}")
        say()
        say("| step | spike | " + " | ".join(f"{label} | skipped" for label in labels) + " |")
        say("|---|---|" + "---|---|" * len(labels))
        for i in range(scaling["schedule"]["steps"]):
            cells = []
            for label in labels:
                history = histories[label]
                cells += [_log2(history["scale_after"][i]), "x" if (i + 1) in history["skipped_steps"] else ""]
            say(f"| {i + 1} | {'x' if (i + 1) in spikes else ''} | " + " | ".join(cells) + " |")
        say()


def layer_benchmark(say: Report, work: Path) -> None:
    code, wall, report = run([str(FIXTURES / "delayed_hybrid.yaml"), "--benchmark"], work / "benchmark.json")
    bench = report.get("benchmark") or {}
    say(f"Benchmark on {bench.get('device')}: {bench.get('shape')}, TE torch.compile: {bench.get('te_torch_compile')}")
    say()
    say("| mode | median ms | TFLOP/s | peak MiB |")
    say("|---|---|---|---|")
    for mode in bench.get("modes", []):
        say(f"| {mode['label']} | {mode['median_ms']:.2f} | {mode['tflops']:.0f} | {mode['peak_memory_bytes'] / 2**20:.0f} |")
    if bench.get("speedup_fp8"):
        say(f"FP8 speed-up: {bench['speedup_fp8']:.2f}x")


def _environment() -> tuple[str, int]:
    """(device, torch and TE versions as text; number of CUDA devices)."""
    done = subprocess.run(
        [sys.executable, "-c", "import torch, transformer_engine as te; print(torch.cuda.device_count()); "
         "print(torch.cuda.get_device_name(), 'torch', torch.__version__, 'TE', getattr(te, '__version__', '?'))"],
        cwd=ROOT, capture_output=True, text=True, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or len(lines) < 2 or not lines[-2].isdigit():
        return "unknown (torch / Transformer Engine not importable)", 0
    return lines[-1], int(lines[-2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="write bench_verify.md, bench_verify.json and the plots here")
    parser.add_argument("--skip-benchmark", action="store_true", help="leave out the FP8 vs bf16 layer benchmark")
    options = parser.parse_args()
    if options.out is not None:
        options.out.mkdir(parents=True, exist_ok=True)
    say = Report(options.out / "bench_verify.md" if options.out is not None else None)
    reports: dict = {}
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        environment, count = _environment()
        say(f"Environment: {environment}, {count} CUDA device(s)")
        say()
        verify_table(say, work, reports, options.out, CASES)
        say()
        distances(say, reports)
        scale_histories(say, reports)
        if count >= 2:
            say("`--gpus 2` (NCCL), peak GPU MiB per rank:")
            say()
            verify_table(say, work, reports, None, TWO_GPU_CASES, gpus=2)
            say()
        else:
            say("`--gpus 2`: not measured, this machine has fewer than two GPUs.")
            say()
        if not options.skip_benchmark:
            layer_benchmark(say, work)


if __name__ == "__main__":
    main()

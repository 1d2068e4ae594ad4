"""Wall time of `nemo-migrate verify` end to end (a fresh process each: torch and TE imports
included), its peak GPU memory, and the FP8 vs bf16 layer benchmark. Needs a CUDA GPU with
Transformer Engine; prints one Markdown table for the README.

    python bench/bench_verify.py [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "verify"
CASES = (
    ("delayed_hybrid.yaml", None),
    ("e4m3.yaml", None),
    ("history_default.yaml", None),
    ("fp16_fp8.yaml", None),
    ("bf16_no_fp8.yaml", None),
    ("history_default.yaml", "naive_history_default.py"),
)


def run(args: list[str], out: Path) -> tuple[int, float, dict]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "migrate", "verify", *args, "--json", str(out)], cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.stderr.write(done.stdout + done.stderr)
    return done.returncode, wall, json.loads(out.read_text()) if out.exists() else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="keep the JSON reports here")
    options = parser.parse_args()
    out_dir = options.out or Path(tempfile.mkdtemp())
    out_dir.mkdir(parents=True, exist_ok=True)
    print("| config | migrated from | exit | verify wall s | imports s | numeric s | peak GPU MiB | first divergence |")
    print("|---|---|---|---|---|---|---|---|")
    for yaml_name, script in CASES:
        args = [str(FIXTURES / yaml_name), "--require-gpu"] + (["--script", str(FIXTURES / script)] if script else [])
        name = Path(yaml_name).stem + ("-" + Path(script).stem if script else "")
        code, wall, report = run(args, out_dir / f"{name}.json")
        numeric = report.get("numeric", {})
        timings = report.get("timings_s", {})
        first = (numeric.get("first_divergence") or {}).get("step", "-")
        peak = numeric.get("peak_memory_bytes", 0) / 2**20
        print(f"| {yaml_name} | {script or 'convert'} | {code} | {wall:.1f} | {timings.get('import torch+TE', 0):.1f} | "
              f"{timings.get('numeric', 0):.1f} | {peak:.0f} | {first} |")
    code, wall, report = run([str(FIXTURES / "delayed_hybrid.yaml"), "--benchmark"], out_dir / "benchmark.json")
    bench = report.get("benchmark") or {}
    print()
    print(f"Benchmark on {bench.get('device')}: {bench.get('shape')}, TE torch.compile: {bench.get('te_torch_compile')}")
    print("| mode | median ms | TFLOP/s | peak MiB |")
    print("|---|---|---|---|")
    for mode in bench.get("modes", []):
        print(f"| {mode['label']} | {mode['median_ms']:.2f} | {mode['tflops']:.0f} | {mode['peak_memory_bytes'] / 2**20:.0f} |")
    if bench.get("speedup_fp8"):
        print(f"FP8 speed-up: {bench['speedup_fp8']:.2f}x")


if __name__ == "__main__":
    main()

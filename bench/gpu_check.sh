#!/usr/bin/env bash
# One run on a GPU machine for verify's numeric check: the GPU tests (gpu, and gpu2 where two GPUs
# are there) with a broken CUDA / Transformer Engine stack failing instead of skipping, then
# bench/bench_verify.py (verify wall time and peak memory per config, the O1 distances, the fp16
# loss-scale histories, --gpus 2 with two GPUs). About 6-8 minutes on one H200.
#
#   bash bench/gpu_check.sh            # from the checkout's root; results under $OUT (default ./gpu-check-out)
#
# Transformer Engine: if .gpu-kit/install.sh is there it is sourced first (it installs the kit's
# wheels and puts the checkout on PYTHONPATH); otherwise torch and TE must already be importable.
# Files written (flat, at most 8): env.txt, gpu_tests.txt, bench_stdout.txt, bench_verify.md,
# bench_verify.json, o1_fp8.png, fp16_o1.png (the plots need matplotlib).
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=${OUT:-$PWD/gpu-check-out}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 NCCL_NVLS_ENABLE=0
if [ -f .gpu-kit/install.sh ]; then
  # shellcheck disable=SC1091
  source .gpu-kit/install.sh > "$OUT/env.txt" 2>&1 || { echo "gpu_check: .gpu-kit/install.sh failed" | tee -a "$OUT/env.txt"; exit 1; }
fi
{
  echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  nvidia-smi --query-gpu=index,name,memory.total,driver_version --format=csv 2>&1
  python3 - <<'PY' 2>&1
import importlib
import torch
print("python torch", torch.__version__, "cuda", torch.version.cuda, "devices", torch.cuda.device_count())
for name in ("transformer_engine", "megatron.core", "matplotlib", "torchao"):
    try:
        module = importlib.import_module(name)
        print(name, getattr(module, "__version__", "importable"))
    except Exception as error:  # noqa: BLE001
        print(name, "not importable:", type(error).__name__, str(error).splitlines()[0][:200] if str(error) else "")
PY
} >> "$OUT/env.txt"

started=$(date +%s)
NEMO_MIGRATE_REQUIRE_GPU=1 timeout 240 python3 -m pytest -m "gpu or gpu2" -q -rA --durations=15 -p no:cacheprovider tests > "$OUT/gpu_tests.txt" 2>&1
status=$?
echo "== pytest exit status $status after $(( $(date +%s) - started )) s" >> "$OUT/gpu_tests.txt"
tail -n 3 "$OUT/gpu_tests.txt"

started=$(date +%s)
timeout 240 python3 bench/bench_verify.py --out "$OUT" --skip-benchmark > "$OUT/bench_stdout.txt" 2>&1
echo "== bench exit status $? after $(( $(date +%s) - started )) s" >> "$OUT/bench_stdout.txt"
tail -n 1 "$OUT/bench_stdout.txt"
ls -l "$OUT"
exit $status

